"""Postfix check_sender_access maps: OK/PERMIT, continuation lines, regexp tables, malformed lines."""

from __future__ import annotations

from mailwarden.allowlist import audit_allowlist, parse_allowlist

from .helpers import ids, lines_with_findings

SENDER_ACCESS = """\
# /etc/postfix/sender_access   (postmap hash:/etc/postfix/sender_access)
# used by: smtpd_sender_restrictions = check_sender_access hash:/etc/postfix/sender_access, ...
alice@example.com        OK
example.com              PERMIT
.example.com             ok
postmaster@              OK
partner@supplier.example OK
gmail.com                OK
co.uk                    OK
spammer@bad.example      REJECT Go away
bulk.example             550 5.7.1 No bulk mail,
    thank you
newsletter.example
    OK
friends.example          permit_sasl_authenticated
<>                       OK
192.0.2.10               OK
*@wild.example           OK
justakey
xn--bcher-kva.example    OK
"""


def test_entries():
    parsed = parse_allowlist(SENDER_ACCESS, "auto")
    assert parsed.format == "postfix"
    got = {(e.line, e.kind, e.action, e.authenticated) for e in parsed.entries}
    assert (3, "address", "allow", False) in got
    assert (4, "domain-tree", "allow", False) in got
    assert (5, "subdomains", "allow", False) in got
    assert (6, "localpart", "allow", False) in got
    assert (10, "address", "block", False) in got
    assert (11, "domain-tree", "block", False) in got
    assert (13, "domain-tree", "allow", False) in got  # continuation line carries the action
    assert (15, "domain-tree", "allow", True) in got
    assert not any(e.line in (16, 17) for e in parsed.entries)  # null sender, client address


def test_problems():
    parsed = parse_allowlist(SENDER_ACCESS, "postfix")
    problems = {p.line: p.reason for p in parsed.problems}
    assert "literal" in problems[18]
    assert "without an action" in problems[19]
    assert set(problems) == {18, 19}


def test_findings_and_fixes():
    got = ids(SENDER_ACCESS, "postfix")
    assert {(3, "self-address"), (4, "self-domain"), (5, "self-domain"), (6, "self-domain")} <= got
    assert {(6, "broad-domain"), (8, "broad-domain"), (9, "broad-domain")} <= got
    # no authenticated form for third parties in an access map: a specific partner is clean
    assert not lines_with_findings(SENDER_ACCESS, "postfix") & {1, 2, 7, 10, 11, 12, 13, 14, 15, 16, 17}
    report = audit_allowlist(
        parse_allowlist(SENDER_ACCESS, "postfix"), ["alice@example.com"], ["example.com"]
    )
    fix = next(f for f in report.findings if f.line == 4)
    assert fix.replacement == "example.com permit_sasl_authenticated"


def test_parent_domain_matches_subdomains():
    assert ids("example.com OK\n", "postfix", me=(), domains=("mail.example.com",)) == {(1, "self-domain")}
    parsed = parse_allowlist("example.com OK\n", "postfix")
    assert [e.line for e in parsed.matches("x@deep.sub.example.com")] == [1]
    assert parsed.matches("x@badexample.com") == []


def test_regexp_table():
    text = """\
# /etc/postfix/sender_access.pcre
/^alice@example\\.com$/            OK
/@(mail\\.)?example\\.com$/         OK
/^.*@gmail\\.com$/                 OK
/^billing@payroll\\.example$/      OK
if /@example\\.net$/
/^ceo@/                           OK
endif
!/@internal\\.example$/            REJECT
/(a+)+$/                          OK
/unterminated                     OK
"""
    parsed = parse_allowlist(text, "auto")
    assert parsed.format == "postfix"
    assert [e.kind for e in parsed.entries if e.line <= 7] == ["regex"] * 5
    got = ids(text, "auto")
    assert (2, "self-address") in got
    assert (3, "self-domain") in got
    assert (4, "broad-domain") in got
    assert not {line for line, _ in got} & {1, 5, 6, 8, 9}
    assert 11 in {p.line for p in parsed.problems}
