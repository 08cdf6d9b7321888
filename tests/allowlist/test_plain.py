"""Plain lists: addresses, @domain, *@domain, *.domain, comments, continuation, IDN, malformed lines."""

from __future__ import annotations

from mailwarden.allowlist import parse_allowlist

from .helpers import ids, lines_with_findings

PLAIN = """\
# Thunderbird/ISP safe-sender list exported 2024-02-01
; owner: Alice
Alice@Example.COM
@example.com
*.example.com
partner@supplier.example   # invoices
bob@vendor.example, carol@vendor.example
*@gmail.com
hotmail.com
*.co.uk
@com
"Support Desk" <support@helpdesk.example>
news@list.example \\
  digest@list.example
this is not an address
user@@bad..example
*@bücher.example
"""


def test_entries_and_lines():
    parsed = parse_allowlist(PLAIN, "plain")
    assert parsed.format == "plain"
    got = [(e.line, e.kind, e.pattern) for e in parsed.entries]
    assert (3, "address", "alice@example.com") in got
    assert (4, "domain", "*@example.com") in got
    assert (5, "subdomains", "*@*.example.com") in got
    assert (6, "address", "partner@supplier.example") in got
    assert {(7, "bob@vendor.example"), (7, "carol@vendor.example")} <= {
        (e.line, e.pattern) for e in parsed.entries
    }
    assert (12, "address", "support@helpdesk.example") in got
    assert (13, "address", "news@list.example") in got
    assert (14, "address", "digest@list.example") in got
    assert (17, "domain", "*@xn--bcher-kva.example") in got
    assert not any(e.authenticated or e.auth_available for e in parsed.entries)


def test_malformed_lines_are_reported_not_ignored():
    parsed = parse_allowlist(PLAIN, "plain")
    bad = {p.line for p in parsed.problems}
    assert 15 in bad and 16 in bad
    assert all(p.reason for p in parsed.problems)
    assert not any(e.line in (15, 16) for e in parsed.entries)


def test_findings():
    got = ids(PLAIN, "plain")
    assert (3, "self-address") in got  # mixed case still matches the owner
    assert (4, "self-domain") in got
    assert (5, "self-domain") in got
    assert (8, "broad-domain") in got
    assert (9, "broad-domain") in got
    assert (10, "broad-domain") in got  # public suffix
    assert (11, "broad-domain") in got
    # a plain list has no authenticated form: third-party addresses are clean
    assert not lines_with_findings(PLAIN, "plain") & {1, 2, 6, 7, 12, 13, 14}


def test_idn_owner_domain_in_unicode_and_alabel():
    text = "*@xn--bcher-kva.example\nfriend@bücher.example\n"
    assert ids(text, "plain", me=(), domains=("bücher.example",)) == {(1, "self-domain"), (2, "self-domain")}
    assert ids(text, "plain", me=("ich@BÜCHER.example",), domains=()) == {
        (1, "self-domain"),
        (2, "self-domain"),
    }
    assert ids("ich@xn--bcher-kva.example\n", "plain", me=("ich@bücher.example",), domains=()) == {
        (1, "self-address")
    }


def test_other_domain_address_is_clean_and_lookalike_not_self():
    text = "alice@example.com.evil.example\n*@notexample.com\n*@example.community\n"
    assert ids(text, "plain") == set()


def test_crlf_and_bom():
    parsed = parse_allowlist("\ufeff# list\r\nalice@example.com\r\n\r\n*@example.com\r\n", "auto")
    assert [(e.line, e.entry) for e in parsed.entries] == [(2, "alice@example.com"), (4, "*@example.com")]


def test_wildcard_local_part_on_own_domain():
    assert ids("a*@example.com\n", "plain") == {(1, "self-domain")}
    assert ids("*@*\n", "plain") >= {(1, "self-domain"), (1, "broad-domain")}
    assert ids("*\n", "plain") >= {(1, "broad-domain"), (1, "self-domain")}
