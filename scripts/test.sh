#!/usr/bin/env bash
# Install everything the test suite needs on a fresh Debian machine, then run it.
#
#   bash scripts/test.sh [pytest args...]
#
# - Debian packages: nsd (real DNS server for the live-resolver and audit tests),
#   postfix + swaks (real MTA for the catch-all probe and the mail filter),
#   libmilter-dev (pymilter is compiled against it), opendmarc + opendkim (bench anchors),
#   postgresql (the report store's PostgreSQL tests), dovecot-imapd (IMAP ingest),
#   chromium (the web pages are tested in a real browser through Playwright,
#   which drives Debian's binary: Playwright's own browser download is not used).
#   Installed with apt-get when missing and we are root; the tests start and stop
#   their own instances on 127.0.0.1 (no packaged service is started).
# - Python: the package in editable mode with its test extras.
# - pytest: exit status 5 ("no tests collected") is a failure, never a pass.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v nsd >/dev/null 2>&1 || [ -x /usr/sbin/nsd ] || need+=(nsd)
command -v postfix >/dev/null 2>&1 || [ -x /usr/sbin/postfix ] || need+=(postfix)
command -v swaks >/dev/null 2>&1 || need+=(swaks)
# the mail filter: libmilter headers to build pymilter; OpenDMARC + OpenDKIM are the bench's reference milters
[ -f /usr/include/libmilter/mfapi.h ] || need+=(libmilter-dev)
command -v opendmarc >/dev/null 2>&1 || [ -x /usr/sbin/opendmarc ] || need+=(opendmarc)
command -v opendkim >/dev/null 2>&1 || [ -x /usr/sbin/opendkim ] || need+=(opendkim)
ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 || need+=(postgresql)
command -v dovecot >/dev/null 2>&1 || [ -x /usr/sbin/dovecot ] || need+=(dovecot-imapd)
[ -x /usr/bin/chromium ] || need+=(chromium)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ]; then
        export DEBIAN_FRONTEND=noninteractive
        echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections 2>/dev/null || true
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
    else
        echo "scripts/test.sh: missing Debian packages: ${need[*]} (run as root, or apt-get install them)" >&2
    fi
fi

python3 -m pip install -q --disable-pip-version-check -e '.[test]'

export MAILWARDEN_CORPORA="${MAILWARDEN_CORPORA:-$(cd .. && pwd)/shared/corpora}"
set +e
python3 -m pytest -q "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "scripts/test.sh: pytest collected no tests: failing" >&2
    exit 1
fi
exit "$status"
