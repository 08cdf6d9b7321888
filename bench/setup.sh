#!/usr/bin/env bash
# Set-up for bench/run.py: installs the reference tools OUTSIDE the product.
#   bench/.venv         dkimpy, pyspf, authheaders (+ PyNaCl for ed25519), parsedmarc
#   bench/node_modules  mailauth (npm)
# Nothing is added to mailwarden's own dependencies. Re-running is harmless.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${PYTHON:-python3}"

if [ ! -x "$here/.venv/bin/python" ]; then
    "$python" -m venv "$here/.venv"
fi
"$here/.venv/bin/python" -m pip install --quiet --upgrade pip
"$here/.venv/bin/python" -m pip install --quiet -r "$here/requirements-ref.txt"
"$here/.venv/bin/python" -c "import dkim, spf, authheaders, nacl, parsedmarc, importlib.metadata as m; print('bench/.venv ok:', ', '.join(p + ' ' + m.version(p) for p in ('dkimpy', 'pyspf', 'authheaders', 'PyNaCl', 'parsedmarc')))"

if ! command -v npm >/dev/null 2>&1; then
    echo "setup.sh: npm not found; install Node.js >= 18 to benchmark mailauth" >&2
    exit 1
fi
(cd "$here" && npm install --no-audit --no-fund --loglevel=error)
node -e "require('$here/node_modules/mailauth/package.json'); console.log('bench/node_modules ok: mailauth', require('$here/node_modules/mailauth/package.json').version)"
echo "Set-up done. Run: python bench/run.py --quick"
