"""check_host() / evaluate_spf(): results, limits and the evidence (RFC 7208 sections 2.4, 4, 5, 6)."""

from __future__ import annotations

import asyncio

import pytest

from mailwarden.cache import TTLCache
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.errors import InputError
from mailwarden.spf import check_host, evaluate_spf

ZONE = {
    "example.com": {"TXT": ["v=spf1 ip4:192.0.2.0/24 include:_spf.example.net a:mail.example.com/30 "
                            "mx -all exp=why.example.com", "google-site-verification=abc"],
                    "MX": ["10 mx1.example.com", "20 mx2.example.com"]},
    "_spf.example.net": {"TXT": ["v=spf1 ip6:2001:db8::/32 redirect=_spf2.example.net"]},
    "_spf2.example.net": {"TXT": ["v=spf1 ip4:198.51.100.7 ~all"]},
    "mail.example.com": {"A": ["203.0.113.8"]},
    "mx1.example.com": {"A": ["203.0.113.20"]},
    "mx2.example.com": {"A": ["203.0.113.30"], "AAAA": ["2001:db8:1::30"]},
    "why.example.com": {"TXT": ["%{i} is not allowed to send as %{s} (ask %{r}, t=%{t})"]},
    "helo.example.org": {"TXT": ["v=spf1 a -all"], "A": ["192.0.2.99"]},
    "void.example": {"TXT": ["v=spf1 a:nx1.example a:nx2.example a:nx3.example -all"]},
    "manymx.example": {"TXT": ["v=spf1 mx -all"], "MX": [f"{i} mx{i}.example.com" for i in range(11)]},
    "ptr.example": {"TXT": ["v=spf1 ptr -all"]},
    "5.2.0.192.in-addr.arpa": {"PTR": ["host.ptr.example", "other.example"]},
    "host.ptr.example": {"A": ["192.0.2.5"]},
    "dual.example": {"TXT": ["v=spf1 -all", "v=spf1 +all"]},
}


def run(coro):
    return asyncio.run(coro)


def check(ip, mail_from, helo="mx.example.org", zone=ZONE, **kw):
    return run(evaluate_spf(SnapshotResolver.from_dict(zone), ip, mail_from, helo, **kw))


def test_pass_by_ip4_is_cheap():
    r = check("192.0.2.44", "user@example.com")
    assert (r.result, r.mechanism, r.lookups, r.void_lookups) == ("pass", "ip4:192.0.2.0/24", 0, 0)
    assert r.matched_domain == "example.com" and r.explanation is None and r.problem is None
    assert r.record.startswith("v=spf1 ip4:192.0.2.0/24")


def test_pass_through_include_and_redirect_with_chain_and_trace():
    r = check("198.51.100.7", "user@example.com")
    assert r.result == "pass"
    assert r.mechanism == "include:_spf.example.net"  # the term of the checked domain
    assert r.lookups == 2  # include + redirect
    assert [(c.kind, c.source, c.target, c.result) for c in r.chain] == [
        ("include", "example.com", "_spf.example.net", "pass"),
        ("redirect", "_spf.example.net", "_spf2.example.net", "pass"),
    ]
    trace = [(t.domain, t.term, t.outcome, t.depth) for t in r.trace]
    assert trace == [
        ("example.com", "ip4:192.0.2.0/24", "no match", 0),
        ("example.com", "include:_spf.example.net", "match", 0),
        ("_spf.example.net", "ip6:2001:db8::/32", "no match", 1),
        ("_spf.example.net", "redirect=_spf2.example.net", "followed", 1),
        ("_spf2.example.net", "ip4:198.51.100.7", "match", 2),
    ]


def test_softfail_inside_include_does_not_match_and_a_cidr():
    r = check("203.0.113.9", "user@example.com")  # a:mail.example.com/30 covers .8-.11
    assert (r.result, r.mechanism, r.lookups) == ("pass", "a:mail.example.com/30", 3)


def test_mx_and_fail_with_explanation_macros():
    r = check("203.0.113.30", "user@example.com")
    assert (r.result, r.mechanism, r.lookups) == ("pass", "mx", 4)
    r = check("203.0.113.99", "user@example.com", receiver="mx.receiver.example", now=1700000000)
    assert (r.result, r.mechanism) == ("fail", "-all")
    assert r.explanation == "203.0.113.99 is not allowed to send as user@example.com (ask mx.receiver.example, t=1700000000)"


def test_default_explanation_when_no_exp():
    r = check("192.0.2.1", "", helo="helo.example.org")
    assert r.result == "fail" and "helo.example.org" in r.explanation


def test_helo_identity_rules():
    r = check("192.0.2.99", "", helo="helo.example.org")
    assert (r.result, r.identity, r.sender, r.domain) == ("pass", "helo", "postmaster@helo.example.org", "helo.example.org")
    r = check("192.0.2.99", "<>", helo="helo.example.org")
    assert r.identity == "helo" and r.result == "pass"
    r = check("192.0.2.44", "@example.com")
    assert (r.sender, r.identity, r.result) == ("postmaster@example.com", "mailfrom", "pass")
    r = check("192.0.2.44", "example.com")
    assert r.sender == "postmaster@example.com" and r.result == "pass"
    r = check("192.0.2.44", "<user@example.com>")
    assert r.sender == "user@example.com" and r.result == "pass"


def test_none_results():
    r = check("192.0.2.1", "a@nowhere.example")
    assert r.result == "none" and "does not exist" in r.problem
    r = check("192.0.2.1", "a@mail.example.com")  # exists, no SPF record
    assert r.result == "none" and "no SPF record" in r.problem
    assert check("192.0.2.1", "", helo="localhost").result == "none"
    assert check("192.0.2.1", "a@[192.0.2.1]").result == "none"


def test_void_lookup_limit_names_the_term():
    r = check("192.0.2.1", "a@void.example")
    assert r.result == "permerror" and r.void_lookups == 3
    assert "a:nx3.example" in r.problem and "void" in r.problem


def test_more_than_ten_mx_records():
    r = check("192.0.2.1", "a@manymx.example")
    assert r.result == "permerror" and "11 MX records" in r.problem


def test_ptr_mechanism_validates_names():
    assert check("192.0.2.5", "a@ptr.example").result == "pass"
    assert check("192.0.2.6", "a@ptr.example").result == "fail"


def test_multiple_records_permerror():
    r = check("192.0.2.1", "a@dual.example")
    assert r.result == "permerror" and "more than one SPF record" in r.problem


def test_ipv4_mapped_ipv6_counts_as_ipv4():
    assert check("::ffff:192.0.2.44", "user@example.com").result == "pass"


def test_ipv6_through_include():
    r = check("2001:db8::1", "user@example.com")
    assert r.result == "pass" and r.chain[0].target == "_spf.example.net"


def test_invalid_ip_is_an_input_error():
    with pytest.raises(InputError):
        check("not-an-ip", "user@example.com")


def test_syntax_error_is_permerror_naming_term():
    zone = {"bad.example": {"TXT": ["v=spf1 ip4:192.0.2.1 -all moo"]}}
    r = check("192.0.2.1", "a@bad.example", zone=zone)
    assert r.result == "permerror" and "'moo'" in r.problem and r.lookups == 0


def test_temperror_on_dns_failure_names_the_name():
    zone = {"t.example": {"TXT": ["v=spf1 a:slow.example -all"]}, "slow.example": {"A": "SERVFAIL"}}
    r = check("192.0.2.1", "a@t.example", zone=zone)
    assert r.result == "temperror" and "slow.example" in r.problem
    assert r.trace[-1].outcome == "temperror"


def test_check_host_direct_api():
    resolver = SnapshotResolver.from_dict(ZONE)
    r = run(check_host(resolver, "192.0.2.44", "example.com", "x@example.com", "h.example"))
    assert r.result == "pass" and r.domain == "example.com"


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_record_cache_avoids_txt_queries_and_expires():
    clock = Clock()
    cache = TTLCache(clock=clock)
    resolver = SnapshotResolver.from_dict(ZONE)

    async def go():
        return await evaluate_spf(resolver, "198.51.100.7", "u@example.com", "h.example", cache=cache)

    assert run(go()).result == "pass"
    txt_before = [q for q in resolver.queries if q[1] == "TXT"]
    assert len(txt_before) == 3 and len(cache) == 3
    assert run(go()).result == "pass"
    assert [q for q in resolver.queries if q[1] == "TXT"] == txt_before  # no new TXT query
    assert cache.hits == 3
    clock.t += 301  # snapshot TTL is 300 s
    assert run(go()).result == "pass"
    assert len([q for q in resolver.queries if q[1] == "TXT"]) == 6


def test_record_cache_is_bounded_and_skips_temporary_failures():
    cache = TTLCache(max_entries=2)
    zone = {f"d{i}.example": {"TXT": [f"v=spf1 ip4:192.0.2.{i} -all"]} for i in range(5)}
    zone["slow.example"] = {"TXT": "TIMEOUT"}
    resolver = SnapshotResolver.from_dict(zone)
    for i in range(5):
        run(evaluate_spf(resolver, "192.0.2.1", f"a@d{i}.example", "h.example", cache=cache))
    assert len(cache) == 2
    r = run(evaluate_spf(resolver, "192.0.2.1", "a@slow.example", "h.example", cache=cache))
    assert r.result == "temperror" and cache.get("slow.example") is None


def test_cache_does_not_keep_oversized_entries():
    big = "v=spf1 " + " ".join(f"ip4:10.0.{i // 250}.{i % 250}" for i in range(400)) + " -all"
    zone = {"big.example": {"TXT": [[big[i:i + 255] for i in range(0, len(big), 255)]]},
            "a.example": {"TXT": ["v=spf1 a:many.example -all"]},
            "many.example": {"A": [f"10.1.{i // 250}.{i % 250}" for i in range(300)]}}
    cache = TTLCache()
    resolver = SnapshotResolver.from_dict(zone)
    assert len(big) > 4096
    assert run(evaluate_spf(resolver, "192.0.2.1", "x@big.example", "h.example", cache=cache)).result == "fail"
    assert run(evaluate_spf(resolver, "10.1.0.7", "x@a.example", "h.example", cache=cache)).result == "pass"
    assert cache.get("big.example") is None and cache.get(("a", "many.example", 4)) is None
    assert cache.get("a.example") is not None


def test_include_of_a_missing_domain_is_permerror_and_a_void_lookup():
    zone = {"i.example": {"TXT": ["v=spf1 include:gone.example -all"]},
            "r.example": {"TXT": ["v=spf1 redirect=nospf.example"]}, "nospf.example": {"A": ["192.0.2.1"]}}
    r = check("192.0.2.1", "a@i.example", zone=zone)
    assert r.result == "permerror" and r.void_lookups == 1 and "gone.example does not exist" in r.problem
    r = check("192.0.2.1", "a@r.example", zone=zone)
    assert r.result == "permerror" and r.void_lookups == 1 and "nospf.example" in r.problem


def test_record_cache_clock_read_once_per_evaluation():
    """Expiry is checked against one clock reading per check_host() (TTLCache.get's ``now``)."""
    readings = []
    clock = Clock()

    def counting() -> float:
        readings.append(clock.t)
        return clock()

    cache = TTLCache(clock=counting)
    resolver = SnapshotResolver.from_dict(ZONE)
    assert run(evaluate_spf(resolver, "198.51.100.7", "u@example.com", "h.example", cache=cache)).result == "pass"
    readings.clear()
    assert run(evaluate_spf(resolver, "198.51.100.7", "u@example.com", "h.example", cache=cache)).result == "pass"
    assert cache.hits == 3 and len(readings) == 1
    assert cache.get("example.com", now=clock.t + 299) is not None
    assert cache.get("example.com", now=clock.t + 301) is None  # expired: dropped
    assert cache.get("example.com") is None


@pytest.mark.parametrize("ip", ["192.0.2.1", "198.51.100.9", "203.0.113.5"])
def test_literal_and_macro_includes_give_the_same_evidence(ip):
    """A literal include (evaluated inline in check()) and one written with a macro (through
    match()/include()) that names the same domain give the same result, chain and trace."""
    base = {"Inc.Example": {"TXT": ["v=spf1 ip4:198.51.100.0/24 include:loop.example ?all"]},
            "loop.example": {"TXT": ["v=spf1 ip4:203.0.113.0/24 include:SENDER.example -all"]}}
    literal = {**base, "sender.example": {"TXT": ["v=spf1 include:Inc.Example -all"]}}
    macro = {**base, "sender.example": {"TXT": ["v=spf1 include:%{l}.Example -all"]}}
    got = []
    for zone in (literal, macro):
        r = run(evaluate_spf(SnapshotResolver.from_dict(zone), ip, "Inc@sender.example", "h.example"))
        trace = [(t.domain, t.term.replace("%{l}", "Inc"), t.outcome, t.depth, t.detail) for t in r.trace]
        mechanism = r.mechanism and r.mechanism.replace("%{l}", "Inc")
        got.append((r.result, r.problem, r.lookups, mechanism, r.matched_domain, r.chain, trace))
    assert got[0] == got[1]
    assert got[0][0] in ("pass", "permerror")


def test_new_result_is_the_dataclass_result():
    """results.new_result (the engine's fast constructor) gives the same object as SPFResult(...)."""
    from dataclasses import fields, replace

    from mailwarden.spf.results import SPFResult, new_result

    args = ("fail", "example.com", "why", 3, 1, "-all", None, "example.com", "mailfrom", "u@example.com",
            "192.0.2.1", "v=spf1 -all", (("include", "a", "b", "pass"),), (("a", "-all", "match", 0, None),))
    fast, slow = new_result(*args), SPFResult(*args)
    assert len(args) == len(fields(SPFResult))  # a new field must be added to new_result too
    assert fast == slow and hash(fast) == hash(slow) and repr(fast) == repr(slow)
    assert fast.__dict__ == slow.__dict__ and fast.to_json() == slow.to_json()
    assert replace(fast, identity="helo") == replace(slow, identity="helo")
    with pytest.raises(AttributeError):
        fast.result = "pass"  # type: ignore[misc]


def test_cached_policy_lookup_is_the_named_tuple():
    """The evaluator builds PolicyLookup("ok", record) through tuple.__new__: same value, same fields."""
    from mailwarden.spf import parse_record
    from mailwarden.spf.lookups import PolicyLookup

    cache = TTLCache()
    run(evaluate_spf(SnapshotResolver.from_dict(ZONE), "198.51.100.7", "u@example.com", "h.example", cache=cache))
    got = cache.get("_spf2.example.net")
    assert got == PolicyLookup("ok", parse_record("v=spf1 ip4:198.51.100.7 ~all"))
    assert type(got) is PolicyLookup and got.status == "ok" and not got.nxdomain and not got.void


def test_a_and_mx_addresses_skip_unparsable_records():
    """_add_values: an A/AAAA answer's text records as integers, unparsable ones skipped (sections 5.3, 5.4)."""
    zone = {"s.example": {"TXT": ["v=spf1 a:h.example mx -all"], "MX": ["10 m1.example", "20 m2.example"]},
            "h.example": {"A": ["not-an-address", "192.0.2.5"]},
            "m1.example": {"A": ["192.0.2.77", "999.1.1.1"]}, "m2.example": {"A": ["192.0.2.78"]}}
    resolver = SnapshotResolver.from_dict(zone)
    for ip, want in (("192.0.2.5", "pass"), ("192.0.2.77", "pass"), ("192.0.2.78", "pass"), ("192.0.2.6", "fail")):
        assert run(evaluate_spf(resolver, ip, "u@s.example", "h.example")).result == want, ip
    cache = TTLCache()
    run(evaluate_spf(resolver, "192.0.2.6", "u@s.example", "h.example", cache=cache))
    assert cache.get(("a", "h.example", 4)).addresses == frozenset({0xC0000205})
    assert cache.get(("mx", "s.example", 4)).addresses == frozenset({0xC000024D, 0xC000024E})


@pytest.mark.parametrize("failure", ["SERVFAIL", "TIMEOUT"])
def test_spf_mx_temperror_when_an_earlier_mx_host_fails(failure):
    """RFC 7208 section 5: an address lookup error stops check_host() with temperror, even when a
    later MX host would match (issue 14); a host that matched before the error still matches."""
    zone = {
        "mxfail.example": {"TXT": ["v=spf1 mx ?all"], "MX": ["10 broken.mxfail.example", "20 ok.mxfail.example"]},
        "broken.mxfail.example": {"A": failure},
        "ok.mxfail.example": {"A": ["192.0.2.77"]},
        "mxfirst.example": {"TXT": ["v=spf1 mx ?all"], "MX": ["10 ok.mxfail.example", "20 broken.mxfail.example"]},
    }
    late = check("192.0.2.77", "a@mxfail.example", zone=zone)
    assert late.result == "temperror" and "broken.mxfail.example" in late.problem
    early = check("192.0.2.77", "a@mxfirst.example", zone=zone)
    assert early.result == "pass"
    elsewhere = check("198.51.100.1", "a@mxfirst.example", zone=zone)
    assert elsewhere.result == "temperror"
