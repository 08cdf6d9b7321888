"""rspamd multimap: from/header/selector rules, accept vs negative score vs block, require_symbols, maps."""

from __future__ import annotations

from mailwarden.allowlist import audit_allowlist, parse_allowlist

from .helpers import ids, lines_with_findings

MULTIMAP = """\
# /etc/rspamd/local.d/multimap.conf
/* maintained by ops; see https://rspamd.com/doc/modules/multimap.html */
WHITELIST_SENDER_ADDR {
  type = "from";
  filter = "email:addr";
  map = [
    "Alice@Example.com",   # the boss
    "orders@wholesale.example",
    "/^.*@example\\\\.com$/",
    "invalid address here",
  ];
  action = "accept";
}
WHITELIST_HEADER_FROM {
  type = "header";
  header = "From";
  filter = 'email:domain:tld';
  map = ["example.com", "bücher.example"];
  score = -10;
}
SELECTOR_ALLOW {
  type = "selector";
  selector = "from('mime'):domain";
  map = [ "gmail.com" ];
  score = -3.5;
}
DMARC_ONLY { type = "from"; filter = "email:domain"; require_symbols = "DMARC_POLICY_ALLOW & !MAILLIST";
  map = ["example.com", "partner.example"]; score = -5; }
NOT_DMARC { type = "from"; require_symbols = "!DMARC_POLICY_ALLOW"; map = ["x@partner2.example"]; score = -1; }
BLOCK_LOOKALIKE { type = "from"; filter = "email:domain"; map = ["examp1e.com"]; score = 9; }
RCPT_RULE { type = "rcpt"; map = ["alice@example.com"]; action = "accept"; }
EXTERNAL_MAP { type = "from"; map = "${LOCAL_CONFDIR}/local.d/maps.d/allow_from.map"; action = "accept"; }
REGEXP_RULE {
  type = "from";
  regexp = true;
  map = [
    "/^(.+)+@example\\\\.org$/i",
    "/(?=lookahead)x@/",
  ];
  score = -2;
}
"""


def test_rules_and_entries():
    parsed = parse_allowlist(MULTIMAP, "auto")
    assert parsed.format == "rspamd"
    got = {(e.line, e.entry, e.kind, e.action, e.authenticated, e.directive) for e in parsed.entries}
    assert (7, "Alice@Example.com", "address", "allow", False, "WHITELIST_SENDER_ADDR") in got
    assert (9, "/^.*@example\\.com$/", "regex", "allow", False, "WHITELIST_SENDER_ADDR") in got
    assert (18, "example.com", "domain-tree", "allow", False, "WHITELIST_HEADER_FROM") in got
    assert (18, "bücher.example", "domain-tree", "allow", False, "WHITELIST_HEADER_FROM") in got
    assert (24, "gmail.com", "domain", "allow", False, "SELECTOR_ALLOW") in got
    assert (28, "example.com", "domain", "allow", True, "DMARC_ONLY") in got
    assert (29, "x@partner2.example", "address", "allow", False, "NOT_DMARC") in got  # negated symbol
    assert (30, "examp1e.com", "domain", "block", False, "BLOCK_LOOKALIKE") in got
    assert not any(e.line == 31 for e in parsed.entries)  # recipient rule
    assert any(e.line == 32 and e.kind == "external-map" for e in parsed.entries)
    assert any("allow_from.map" in n for n in parsed.notes)
    assert 10 in {p.line for p in parsed.problems}


def test_findings():
    got = ids(MULTIMAP, "rspamd")
    assert {(7, "self-address"), (8, "unauthenticated"), (9, "self-domain"), (18, "self-domain")} <= got
    assert (24, "broad-domain") in got
    assert (29, "unauthenticated") in got
    assert (37, "unauthenticated") in got  # catastrophic regex: analysed safely, no self match
    assert (38, "unauthenticated") in got  # look-ahead: not matchable, read as text
    assert not lines_with_findings(MULTIMAP, "rspamd") & {1, 2, 3, 4, 5, 6, 11, 12, 27, 28, 30, 31, 32}
    report = audit_allowlist(parse_allowlist(MULTIMAP, "rspamd"), ["alice@example.com"], ["example.com"])
    fix = next(f for f in report.findings if f.line == 8)
    assert fix.replacement == 'require_symbols = "DMARC_POLICY_ALLOW";'
    assert "WHITELIST_SENDER_ADDR" in fix.fix


def test_idn_domain_tree():
    got = ids(MULTIMAP, "rspamd", me=(), domains=("xn--bcher-kva.example",))
    assert (18, "self-domain") in got


def test_syntax_error_keeps_earlier_rules_and_reports_line():
    text = 'A { type = "from"; action = "accept"; map = ["alice@example.com"]; }\nB { type = "from"; map = [ "x@y.example"\n'
    parsed = parse_allowlist(text, "rspamd")
    assert [e.line for e in parsed.entries] == [1]
    assert parsed.problems and parsed.problems[0].line == 2


def test_deep_nesting_is_bounded():
    text = "a {\n" * 5000 + "}\n" * 5000
    parsed = parse_allowlist(text, "rspamd")
    assert parsed.problems and "nested" in parsed.problems[0].reason


def test_nested_multimap_section_and_heredoc():
    text = """multimap {
  MY_ALLOW {
    type = "from";
    action = "accept";
    map = <<EOD
alice@example.com
friend@other.example
EOD;
  }
}
"""
    assert ids(text, "rspamd") == {(6, "self-address"), (7, "unauthenticated")}
