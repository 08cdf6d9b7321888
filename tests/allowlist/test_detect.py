"""--format auto on real-looking files of every format, and the shared examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mailwarden.allowlist import parse_allowlist
from mailwarden.allowlist.detect import detect_format
from mailwarden.allowlist.text import split_lines

from .test_csv import EXPORT
from .test_plain import PLAIN
from .test_postfix import SENDER_ACCESS
from .test_rspamd import MULTIMAP
from .test_sieve import SCRIPT
from .test_spamassassin import USER_PREFS


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (PLAIN, "plain"),
        (USER_PREFS, "spamassassin"),
        (SENDER_ACCESS, "postfix"),
        (MULTIMAP, "rspamd"),
        (SCRIPT, "sieve"),
        (EXPORT, "csv"),
        ("alice@example.com\nbob@example.net\n", "plain"),
        ("address,action\nalice@example.com,allow\n", "csv"),
        ("# only comments\n\n", "plain"),
        ('if address :is "from" "alice@example.com" { stop; }\n', "sieve"),
        ("", "plain"),
    ],
)
def test_detect(text, expected):
    assert detect_format(split_lines(text)) == expected
    assert parse_allowlist(text).format == expected


def test_extension_breaks_ties():
    assert detect_format([], "list.sieve") == "sieve"
    assert detect_format(["alice@example.com"], "safe.csv") == "csv"


def test_explicit_format_is_echoed():
    assert parse_allowlist("alice@example.com OK\n", "plain").format == "plain"


def test_shared_examples_detected(shared: Path):
    root = shared / "examples" / "allowlist"
    for case in sorted(p for p in root.iterdir() if (p / "case.json").is_file()):
        expect = json.loads((case / "case.json").read_text())["expect"]
        [listfile] = list(case.glob("list.*"))
        assert parse_allowlist(listfile.read_text()).format == expect["format"], case.name
