"""Hostile input: huge files, one giant line, binary garbage, catastrophic regexes, deep nesting."""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time

import pytest

from mailwarden.allowlist import audit_allowlist, parse_allowlist, parse_allowlist_bytes, relevant_to
from mailwarden.errors import InputError

MEMORY_LIMIT = 1536 * 1024 * 1024


def _limited() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_bounded(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[bytes]:
    """The CLI under an address-space limit: bounded memory is part of the contract."""
    return subprocess.run(
        [sys.executable, "-m", "mailwarden", *args],
        capture_output=True,
        timeout=timeout,
        preexec_fn=_limited,
        check=False,
    )


@pytest.mark.slow
def test_million_line_list_is_bounded_and_finds_the_owner_at_the_end(tmp_path):
    path = tmp_path / "huge.txt"
    with path.open("w") as fh:
        for i in range(1_000_000):
            fh.write(f"user{i}@domain{i % 977}.example\n")
        fh.write("Alice@Example.com\n*@gmail.com\n")
    start = time.monotonic()
    proc = run_bounded("allowlist", str(path), "--me", "alice@example.com", "--json")
    assert proc.returncode == 0, proc.stderr
    assert time.monotonic() - start < 90
    out = json.loads(proc.stdout)
    assert out["truncated"] is True
    got = {(f["line"], f["id"]) for f in out["findings"]}
    assert got == {(1_000_001, "self-address"), (1_000_002, "broad-domain")}
    assert any("skipped" in n for n in out["notes"])


@pytest.mark.slow
def test_fifty_megabyte_single_line(tmp_path):
    path = tmp_path / "line.txt"
    path.write_bytes(b"a" * 50_000_000)
    proc = run_bounded("allowlist", str(path), "--domain", "example.com", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["findings"] == []
    assert out["unparsed"][0]["line"] == 1 and "longer than" in out["unparsed"][0]["reason"]
    assert len(out["unparsed"][0]["text"]) < 200


@pytest.mark.slow
def test_million_spamassassin_lines_cap_the_listing(tmp_path):
    path = tmp_path / "local.cf"
    with path.open("w") as fh:
        for i in range(300_000):
            fh.write(f"whitelist_from user{i}@partner{i % 97}.example\n")
        fh.write("whitelist_from *@example.com\n")
    proc = run_bounded("allowlist", str(path), "--domain", "example.com", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    ids = [f["id"] for f in out["findings"]]
    assert ids.count("unauthenticated") == 10_000
    assert (300_001, "self-domain") in {(f["line"], f["id"]) for f in out["findings"]}
    assert any("by From alone" in n for n in out["notes"])


def test_binary_garbage_is_a_clear_error(tmp_path, cli):
    path = tmp_path / "garbage.bin"
    path.write_bytes(os.urandom(200_000))
    proc = cli("allowlist", str(path), "--me", "alice@example.com")
    assert proc.returncode == 2
    assert b"binary" in proc.stderr and b"Traceback" not in proc.stderr
    with pytest.raises(InputError):
        parse_allowlist_bytes(b"\x00\x01\x02" * 100)


def test_control_character_soup_without_nul(tmp_path):
    with pytest.raises(InputError):
        parse_allowlist_bytes(bytes(range(1, 32)) * 1000)


def test_latin1_and_utf16_files_decode():
    parsed = parse_allowlist_bytes("# Liste für Jörg\nalice@example.com\n".encode("cp1252"))
    assert [e.line for e in parsed.entries] == [2]
    parsed = parse_allowlist_bytes("alice@example.com\n".encode("utf-16"))
    assert [e.pattern for e in parsed.entries] == ["alice@example.com"]


def test_many_malformed_lines_are_counted_not_all_listed():
    text = "not an address at all\n" * 5000
    parsed = parse_allowlist(text, "plain")
    assert len(parsed.problems) == 500 and parsed.problems_omitted == 4500


@pytest.mark.parametrize(
    ("fmt", "text"),
    [
        (
            "rspamd",
            'R { type = "from"; regexp = true; action = "accept"; map = ["/^(a+)+$/", "/(a|aa)+@(b|bb)+$/"]; }\n',
        ),
        (
            "sieve",
            'if address :regex "from" "^(a|a?)+$" { stop; }\nif address :regex "from" "(x+x+)+y" { stop; }\n',
        ),
        ("postfix", "/^(a+)+$/ OK\n/(.*a){20}/ OK\n"),
    ],
)
def test_catastrophic_regex_entries_do_not_hang(fmt, text):
    parsed = parse_allowlist(text, fmt)
    start = time.monotonic()
    audit_allowlist(parsed, ["a" * 60 + "@example.com"], ["example.com"])
    parsed.matches("a" * 300 + "!")
    assert time.monotonic() - start < 5


def test_huge_regex_entry_is_read_as_text():
    big = "(a|b)" * 500  # longer than the safe matcher accepts
    parsed = parse_allowlist(f"/{big}@example\\.com/ OK\n", "postfix")
    report = audit_allowlist(parsed, [], ["example.com"])
    assert [(f.line, f.id) for f in report.findings] == [(1, "self-domain")]


def test_relevant_to_keeps_owner_and_wildcards():
    keep = relevant_to(["alice@example.com"], ["example.org"])
    assert keep("address", "bob@mail.example.org")
    assert keep("domain", "*@gmail.com")
    assert keep("wildcard", "*")
    assert not keep("address", "bob@other.example")
