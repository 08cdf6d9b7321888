"""SpamAssassin: whitelist_/welcomelist_ forms, def_ variants, unwhitelist, globs, comments, malformed lines."""

from __future__ import annotations

from mailwarden.allowlist import audit_allowlist, parse_allowlist

from .helpers import ids, lines_with_findings

USER_PREFS = """\
# ~/.spamassassin/user_prefs  (SpamAssassin 4.0)
required_score 4.5
Whitelist_From   Alice@Example.com
welcomelist_from *@example.com partners@agency.example
def_welcomelist_auth *@*.example.com
WHITELIST_AUTH   billing@payroll.example
whitelist_from_dkim  *@mailer.example  mailer.example
whitelist_from_spf   alerts@monitoring.example
whitelist_from_rcvd  *@example.com  mx.example.com
whitelist_from   old-partner@gone.example
unwhitelist_from old-partner@gone.example
whitelist_from   *.example.com
whitelist_from   example.com
whitelist_from   *@*.gmail.com *@yahoo.*
whitelist_from   *@*.co.uk
whitelist_fom    typo@example.net
whitelist_from_rcvd lonely@example.net
blocklist_from   *@example.com
whitelist_to     alice@example.com
whitelist_from   friend@bücher.example  # IDN
!!! garbage line
header   LOCAL_X  From =~ /alice\\@example\\.com/
whitelist_from   *@example.com   # trailing comment
"""


def test_directives_and_kinds():
    parsed = parse_allowlist(USER_PREFS, "auto")
    assert parsed.format == "spamassassin"
    by_line = {}
    for e in parsed.entries:
        by_line.setdefault(e.line, []).append(e)
    assert [(e.kind, e.authenticated) for e in by_line[3]] == [("address", False)]
    assert [e.entry for e in by_line[4]] == ["*@example.com", "partners@agency.example"]
    assert by_line[5][0].authenticated and by_line[5][0].directive == "def_welcomelist_auth"
    assert by_line[6][0].authenticated
    assert by_line[7][0].authenticated and by_line[7][0].condition == "dkim:mailer.example"
    assert by_line[8][0].authenticated
    assert by_line[9][0].condition == "rcvd:mx.example.com"
    assert not by_line[10][0].active and by_line[10][0].note == "removed by line 11"
    assert by_line[12][0].kind == "subdomains"
    assert by_line[18][0].action == "block"
    assert by_line[20][0].pattern == "friend@xn--bcher-kva.example"
    assert 19 not in by_line and 22 not in by_line  # recipient list and rule definitions are not From entries


def test_problems_reported():
    parsed = parse_allowlist(USER_PREFS, "spamassassin")
    problems = {p.line: p.reason for p in parsed.problems}
    assert "matches nothing" in problems[13]  # whitelist_from example.com (no @): never matches
    assert "unknown list directive" in problems[16]
    assert "relay domain" in problems[17]
    assert "not a SpamAssassin directive" in problems[21]
    assert set(problems) == {13, 16, 17, 21}


def test_findings():
    got = ids(USER_PREFS, "spamassassin")
    assert (3, "self-address") in got
    assert (4, "self-domain") in got
    assert (4, "unauthenticated") in got  # partners@agency.example on the same line
    assert (12, "self-domain") in got
    assert (14, "broad-domain") in got
    assert (15, "broad-domain") in got
    assert (20, "unauthenticated") in got
    assert (23, "self-domain") in got  # a trailing comment does not hide the entry
    clean = {1, 2, 5, 6, 7, 8, 9, 10, 11, 13, 16, 17, 18, 19, 21, 22}
    assert not lines_with_findings(USER_PREFS, "spamassassin") & clean


def test_fix_lines_keep_the_spelling():
    report = audit_allowlist(
        parse_allowlist(USER_PREFS, "spamassassin"), ["alice@example.com"], ["example.com"]
    )
    fixes = {(f.line, f.entry): f.replacement for f in report.findings}
    assert fixes[(3, "Alice@Example.com")] == "whitelist_auth Alice@Example.com"
    assert fixes[(4, "*@example.com")] == "welcomelist_auth *@example.com"
    assert fixes[(4, "partners@agency.example")] == "welcomelist_auth partners@agency.example"
    assert fixes[(14, "*@*.gmail.com")] is not None


def test_authenticated_self_entry_is_not_a_finding():
    text = "whitelist_auth alice@example.com\nwhitelist_from_rcvd *@example.com example.com\n"
    assert ids(text, "spamassassin") == set()


def test_authenticated_broad_entry_still_broad():
    assert ids("whitelist_auth *@gmail.com\n", "spamassassin") == {(1, "broad-domain")}


def test_unwhitelist_is_case_insensitive_and_only_earlier_lines():
    text = "unwhitelist_from a@x.example\nwhitelist_from A@X.example\nwhitelist_from b@x.example\nunwelcomelist_from B@X.EXAMPLE\n"
    parsed = parse_allowlist(text, "spamassassin")
    assert [(e.line, e.active) for e in parsed.entries] == [(2, True), (3, False)]
