"""Sieve: allow rules that stop before the spam rule, test trees, match types, DMARC-conditioned rules."""

from __future__ import annotations

from mailwarden.allowlist import audit_allowlist, parse_allowlist

from .helpers import ids, lines_with_findings

SCRIPT = """\
require ["fileinto", "envelope", "regex", "imap4flags"];
# Dovecot Pigeonhole, user script of alice@example.com
if address :is :all "From" "Alice@Example.com" { keep; stop; }
if address :DOMAIN :is ["from", "sender"]
       ["example.com",
        "partner.example"]
{
    fileinto "INBOX";
    stop;
}
if anyof (address :matches "from" "*@*.example.com",
          envelope :is "from" "friend@other.example") {
    stop;
}
if allof (address :is "from" "billing@payroll.example",
          header :contains "Authentication-Results" "mx.example.com; dmarc=pass") {
    keep;
    stop;
}
if not address :is "from" "alice@example.com" { addflag "\\\\Flagged"; }
if header :contains "from" "@gmail.com" { stop; }
if address :regex "from" "^(a|aa)+@example\\\\.com$" { stop; }
if address :is "from" "scammer@example.com" { discard; stop; }
if address :localpart :is "from" "alice" { stop; }
if address :is "from" text:
bob@bücher.example
.
{ stop; }
if header :contains "X-Spam-Flag" "YES" { fileinto "Junk"; stop; }
if address :is "from" "late@example.com" { keep; stop; }
"""


def test_entries_and_lines():
    parsed = parse_allowlist(SCRIPT, "auto")
    assert parsed.format == "sieve"
    got = {(e.line, e.pattern, e.action, e.authenticated) for e in parsed.entries}
    assert (3, "alice@example.com", "allow", False) in got
    assert (5, "*@example.com", "allow", False) in got
    assert (6, "*@partner.example", "allow", False) in got
    assert (11, "*@*.example.com", "allow", False) in got
    assert (12, "friend@other.example", "allow", False) in got
    assert (15, "billing@payroll.example", "allow", True) in got
    assert (21, "*@gmail.com*", "allow", False) in got
    assert (23, "scammer@example.com", "block", False) in got
    assert (24, "alice@*", "allow", False) in got
    assert not any(e.line == 20 for e in parsed.entries)  # negated test
    assert not any(e.line == 30 for e in parsed.entries)  # after the spam rule: bypasses nothing
    assert any(e.line == 26 and e.pattern == "bob@xn--bcher-kva.example" for e in parsed.entries)


def test_findings():
    got = ids(SCRIPT, "sieve")
    assert {(3, "self-address"), (5, "self-domain"), (11, "self-domain")} <= got
    assert {(6, "unauthenticated"), (12, "unauthenticated"), (26, "unauthenticated")} <= got
    assert (21, "broad-domain") in got
    assert (22, "self-domain") in got  # catastrophic regex analysed by the bounded matcher
    assert (24, "self-address") in got
    assert not lines_with_findings(SCRIPT, "sieve") & {1, 2, 15, 16, 20, 23, 29, 30}


def test_dmarc_fix_line():
    report = audit_allowlist(parse_allowlist(SCRIPT, "sieve"), ["alice@example.com"], ["example.com"])
    fix = next(f for f in report.findings if f.line == 12)
    assert fix.replacement == (
        'if allof (envelope :is "from" "friend@other.example", header :contains "Authentication-Results" "dmarc=pass")'
    )


def test_script_without_spam_rule_still_counts_stop_rules():
    assert ids('if address :is "from" "alice@example.com" { stop; }\n', "sieve") == {(1, "self-address")}


def test_contains_is_a_substring_not_a_broad_domain():
    text = 'if address :contains "from" "partner.example" { stop; }\nif address :contains "from" "example.com" { stop; }\n'
    assert ids(text, "sieve") == {(1, "unauthenticated"), (2, "self-domain")}


def test_filing_only_rule_is_not_an_allow_list():
    text = 'require "fileinto";\nif address :is "from" "alice@example.com" { fileinto "Sent"; }\n'
    assert ids(text, "sieve") == set()


def test_syntax_errors_reported_with_line():
    text = 'require "fileinto";\nif address :is "from" "alice@example.com" { stop; }\nif address :is "from" { stop; }\nif header @@@\n'
    parsed = parse_allowlist(text, "sieve")
    assert [e.line for e in parsed.entries] == [2]
    lines = {p.line for p in parsed.problems}
    assert 3 in lines and 4 in lines


def test_unterminated_string_and_deep_nesting():
    parsed = parse_allowlist('if address :is "from" "alice@example.com\n{ stop; }\n', "sieve")
    assert parsed.problems and parsed.problems[0].reason == "unterminated string"
    deep = "if true {\n" * 3000 + "stop;\n" + "}\n" * 3000
    parsed = parse_allowlist(deep, "sieve")
    assert parsed.problems and "nested" in parsed.problems[0].reason
