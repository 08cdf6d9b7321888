"""The human output of the shared examples, kept as reviewed golden files (issue 15 point 8).

Each ``*.txt`` beside this file is exactly what a worried non-expert reads for
one example; a wording change shows up as a diff in review.  After an intended
change, regenerate and read every changed file before committing it:

    MAILWARDEN_REGENERATE_GOLDEN=1 python -m pytest -q tests/golden
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from tests.conftest import run_cli, shared_root

HERE = Path(__file__).resolve().parent
EXAMPLES = shared_root() / "examples"
REGENERATE = os.environ.get("MAILWARDEN_REGENERATE_GOLDEN") == "1"


def _diagnose(name: str) -> list[str]:
    folder = EXAMPLES / "diagnose" / name
    args = json.loads((folder / "case.json").read_text())["args"]
    return ["diagnose", str(folder / "message.eml"), "--dns", str(folder / "dns.json"), *args]


def _audit(name: str) -> list[str]:
    folder = EXAMPLES / "audit" / name
    case = json.loads((folder / "case.json").read_text())
    return ["audit", case["domain"], "--dns", str(folder / "dns.json"), *case["args"]]


def _allowlist(name: str) -> list[str]:
    folder = EXAMPLES / "allowlist" / name
    case = json.loads((folder / "case.json").read_text())
    listing = next(p for p in sorted(folder.iterdir()) if p.name not in ("case.json", "README.md"))
    return ["allowlist", str(listing), *case["args"]]


_DIAGNOSE = sorted(p.parent.name for p in (EXAMPLES / "diagnose").glob("*/case.json"))
_BOUNCE = EXAMPLES / "diagnose" / "backscatter-dsn-userunknown"
_CHECK = EXAMPLES / "diagnose" / "forwarded-alumni-alias-srs-arc"

CASES: dict[str, list[str]] = {
    **{f"diagnose-{name}": _diagnose(name) for name in _DIAGNOSE},
    "audit-02-contoso-include-sprawl": _audit("02-contoso-include-sprawl"),
    "audit-01-northwind-near-perfect": _audit("01-northwind-near-perfect"),
    "bounce-backscatter-dsn-userunknown": ["bounce", str(_BOUNCE / "message.eml"), "--me", "alice@example.com"],
    "bounce-without-me": ["bounce", str(_BOUNCE / "message.eml")],
    "check-forwarded-alumni-alias-srs-arc": ["check", str(_CHECK / "message.eml"), "--dns", str(_CHECK / "dns.json"),
                                             "--now", "1794856144", "--authserv-id", "mx.mailhost.example"],
    "allowlist-03-sieve-roundcube": _allowlist("03-sieve-roundcube"),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_human_output_matches_the_reviewed_golden_file(shared, name):
    proc = run_cli(*CASES[name])
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout.decode("utf-8")
    golden = HERE / f"{name}.txt"
    if REGENERATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.exists(), f"no golden file {golden.name}: run with MAILWARDEN_REGENERATE_GOLDEN=1 and review it"
    assert text == golden.read_text(encoding="utf-8"), (
        f"the human output of {name} changed; if intended, regenerate (see the module docstring) and review")


def test_every_golden_file_has_a_case():
    assert {p.stem for p in HERE.glob("*.txt")} == set(CASES)


def test_no_golden_file_says_none_or_repeats_a_line():
    """Issue 15 points 6 and 8: no Python None in human text, no line stated twice."""
    for path in HERE.glob("*.txt"):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        assert not any(" None" in line or line.startswith("None") for line in lines), path.name
        statements = _statements(path.read_text(encoding="utf-8"))
        repeated = {x for x in statements if statements.count(x) > 1 and len(x) > 40}
        assert not repeated, (path.name, repeated)
        assert all(len(line) <= 100 for line in path.read_text(encoding="utf-8").splitlines()
                   if not line.startswith(("  mw1._", "\t", "        if allof", "Authentication-Results"))
                   and '  TXT  "' not in line), path.name


def _statements(text: str) -> list[str]:
    """Logical lines: a line and the more deeply indented lines that continue it (wrapping undone)."""
    out: list[str] = []
    indent = -1
    for line in text.splitlines():
        if not line.strip():
            indent = -1
            continue
        depth = len(line) - len(line.lstrip())
        if out and indent >= 0 and depth > indent and not line.lstrip().startswith(("- ", "line ")):
            out[-1] += " " + line.strip()
        else:
            out.append(line.strip())
            indent = depth
    return out
