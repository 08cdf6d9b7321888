"""ParsedAllowlist.matches: the API diagnose and the mail filter reuse."""

from __future__ import annotations

from mailwarden.allowlist import Entry, parse_allowlist

SA = """\
whitelist_from *@example.com
whitelist_auth billing@payroll.example
whitelist_from *@*.partner.example
unwhitelist_from *@example.com
whitelist_from Friend@Bücher.example
blacklist_from spam@payroll.example
"""


def test_matches_respects_unwhitelist_block_and_globs():
    parsed = parse_allowlist(SA, "spamassassin")
    assert parsed.matches("alice@example.com") == []  # removed by line 4
    assert [e.line for e in parsed.matches("billing@payroll.example")] == [2]
    assert parsed.matches("spam@payroll.example") == []  # block entry
    assert [e.line for e in parsed.matches("x@mail.partner.example")] == [3]
    assert parsed.matches("x@partner.example") == []
    assert [e.line for e in parsed.matches("friend@xn--bcher-kva.example")] == [5]
    assert [e.line for e in parsed.matches("FRIEND@BÜCHER.EXAMPLE")] == [5]
    assert [e.line for e in parsed.matches("<friend@bücher.example>")] == [5]


def test_authenticated_only():
    parsed = parse_allowlist(SA, "spamassassin")
    assert [e.line for e in parsed.matches("billing@payroll.example", authenticated_only=True)] == [2]
    assert parsed.matches("x@mail.partner.example", authenticated_only=True) == []


def test_regex_entries_match_safely():
    parsed = parse_allowlist("/^[a-z]+@example\\.(com|net)$/ OK\n/(a+)+$/ OK\n", "postfix")
    assert [e.line for e in parsed.matches("bob@example.net")] == [1]
    assert [e.line for e in parsed.matches("bob@sub.example.org")] == []
    assert [e.line for e in parsed.matches("a" * 500 + "!")] == []


def test_entry_covers():
    e = Entry(1, "*.example.com", "subdomains", "*@*.example.com")
    assert e.covers("a@b.example.com") and not e.covers("a@example.com")
    assert Entry(1, "/(?=x)/", "regex", "(?=x)").covers("x@y.z") is None
