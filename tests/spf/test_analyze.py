"""The IP-less policy walk used by the domain audit (RFC 7208 section 4.6.4 counting)."""

from __future__ import annotations

import asyncio

from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.spf import analyze_policy, evaluate_spf

ZONE = {
    "example.com": {"TXT": ["v=spf1 ip4:192.0.2.0/24 ip6:2001:db8::/48 include:_a.example.net mx "
                            "exists:%{i}.bl.example.com redirect=_r.example.com"],
                    "MX": ["10 mx.example.com"]},
    "mx.example.com": {"A": ["192.0.2.1"]},
    "_a.example.net": {"TXT": ["v=spf1 a:gone.example.net ptr include:_b.example.net ~all"]},
    "_b.example.net": {"TXT": ["v=spf1 ip4:10.0.0.0/8 include:_a.example.net ?all"]},
    "_r.example.com": {"TXT": ["v=spf1 a mx:nomx.example.com -all"], "A": ["192.0.2.9"]},
    "nomx.example.com": {"A": ["192.0.2.10"]},
}


def analyze(zone, domain):
    return asyncio.run(analyze_policy(SnapshotResolver.from_dict(zone), domain))


def test_walk_counts_like_the_engine_and_reports_evidence():
    a = analyze(ZONE, "example.com")
    assert a.status == "ok" and a.record.startswith("v=spf1 ip4:192.0.2.0/24")
    # example.com: include, mx, exists, redirect = 4; _a: a, ptr, include = 3; _b: include = 1 (loop, not followed);
    # _r: a, mx = 2
    assert a.lookups == 10 and not a.too_many_lookups
    assert a.loops == ("example.com -> _a.example.net -> _b.example.net -> _a.example.net",)
    assert a.uses_ptr == ("_a.example.net",)
    assert a.macro_terms == ("example.com: exists:%{i}.bl.example.com",)
    assert a.all_qualifier == "-"  # from the redirect target
    assert a.void_lookups == 2  # gone.example.net (A and AAAA void), nomx.example.com (no MX)
    assert [(n.network, n.addresses) for n in a.networks] == [
        ("192.0.2.0/24", 256), ("2001:db8::/48", 2 ** 80), ("10.0.0.0/8", 2 ** 24)]
    assert a.authorized_addresses == 256 + 2 ** 24
    assert [(r.domain, r.via, r.depth, r.status) for r in a.records] == [
        ("example.com", None, 0, "ok"), ("_a.example.net", "include", 1, "ok"),
        ("gone.example.net", "a", 2, "void"), ("_b.example.net", "include", 2, "ok"),
        ("_r.example.com", "redirect", 1, "ok"), ("nomx.example.com", "mx", 2, "void")]
    assert any("loop" in e for e in a.errors)
    assert a.to_json()["lookups"] == 10


def test_walk_matches_engine_count_when_nothing_matches():
    zone = {"d.example": {"TXT": ["v=spf1 a mx include:i.example exists:e.example -all"], "A": ["192.0.2.1"],
                          "MX": ["1 d.example"]},
            "i.example": {"TXT": ["v=spf1 a:x.example a:y.example ~all"]},
            "x.example": {"A": ["192.0.2.2"]}, "y.example": {"A": ["192.0.2.3"]}, "e.example": {"AAAA": ["::1"]}}
    walk = analyze(zone, "d.example")
    evaluated = asyncio.run(evaluate_spf(SnapshotResolver.from_dict(zone), "203.0.113.1", "u@d.example", "h.example"))
    assert evaluated.result == "fail" and walk.lookups == evaluated.lookups == 6
    assert walk.void_lookups == evaluated.void_lookups == 1


def test_walk_problems():
    zone = {"many.example": {"TXT": ["v=spf1 " + "a " * 12 + "+all"]},
            "two.example": {"TXT": ["v=spf1 -all", "v=spf1 ~all"]},
            "syn.example": {"TXT": ["v=spf1 a:bad -all"]},
            "inc.example": {"TXT": ["v=spf1 include:missing.example -all"]}}
    many = analyze(zone, "many.example")
    assert many.lookups == 12 and many.too_many_lookups and many.all_qualifier == "+"
    two = analyze(zone, "two.example")
    assert two.status == "multiple" and [r.record for r in two.records] == ["v=spf1 -all", "v=spf1 ~all"]
    assert "v=spf1 -all | v=spf1 ~all" in two.problem
    syn = analyze(zone, "syn.example")
    assert syn.status == "syntax" and "'a:bad'" in syn.problem
    inc = analyze(zone, "inc.example")
    assert inc.records[1].status == "void" and any("missing.example" in e for e in inc.errors)
    assert inc.void_lookups == 1
    assert analyze(zone, "absent.example").status == "none"
