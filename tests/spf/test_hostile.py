"""Hostile policies get a clear result in bounded time (RFC 7208 section 4.6.4, SPEC section 10)."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest

from mailwarden.dns.live import LiveResolver
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.spf import evaluate_spf


def check(zone, mail_from, ip="192.0.2.1", helo="h.example.org"):
    resolver = SnapshotResolver.from_dict(zone)
    start = time.perf_counter()
    result = asyncio.run(evaluate_spf(resolver, ip, mail_from, helo))
    return result, time.perf_counter() - start, resolver.queries


def test_include_loop_is_permerror_at_once():
    zone = {"a.example": {"TXT": ["v=spf1 include:b.example -all"]},
            "b.example": {"TXT": ["v=spf1 include:a.example -all"]}}
    r, elapsed, queries = check(zone, "x@a.example")
    assert r.result == "permerror" and "include loop: a.example -> b.example -> a.example" in r.problem
    assert len(queries) == 2 and elapsed < 0.5


def test_self_include_and_redirect_loop():
    zone = {"self.example": {"TXT": ["v=spf1 include:SELF.example."]},
            "r.example": {"TXT": ["v=spf1 redirect=r.example"]}}
    assert "loop" in check(zone, "x@self.example")[0].problem
    assert "redirect loop" in check(zone, "x@r.example")[0].problem


def test_hundred_deep_redirect_chain_stops_at_ten_lookups():
    zone = {f"d{i}.example": {"TXT": [f"v=spf1 redirect=d{i + 1}.example"]} for i in range(100)}
    zone["d100.example"] = {"TXT": ["v=spf1 +all"]}
    r, elapsed, queries = check(zone, "x@d0.example")
    assert r.result == "permerror" and "more than 10 DNS-querying terms" in r.problem
    assert r.lookups == 11 and len(queries) <= 11 and elapsed < 0.5


def test_hundred_deep_include_chain():
    zone = {f"i{i}.example": {"TXT": [f"v=spf1 include:i{i + 1}.example -all"]} for i in range(100)}
    r, elapsed, _ = check(zone, "x@i0.example")
    assert r.result == "permerror" and elapsed < 0.5
    assert len(r.chain) == 10


def test_wide_include_tree_is_bounded_by_the_lookup_limit():
    zone = {"wide.example": {"TXT": ["v=spf1 " + " ".join(f"include:w{i}.example" for i in range(50)) + " -all"]}}
    for i in range(50):
        zone[f"w{i}.example"] = {"TXT": ["v=spf1 " + " ".join(f"a:h{i}-{j}.example" for j in range(20)) + " -all"]}
    r, elapsed, queries = check(zone, "x@wide.example")
    assert r.result == "permerror" and len(queries) < 40 and elapsed < 0.5


def test_macro_expanding_to_over_a_thousand_characters_is_permerror():
    zone = {"m.example": {"TXT": ["v=spf1 exists:%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}.%{l}"
                                  ".%{l}.%{l}.%{l}.%{l}.%{l}.example.com -all"]}}
    local = "x" * 60
    r, elapsed, queries = check(zone, f"{local}@m.example")
    assert r.result == "permerror" and "longer than 1000 characters" in r.problem
    assert elapsed < 0.5 and all(q[1] == "TXT" for q in queries)


def test_long_but_allowed_expansion_is_truncated_to_253():
    zone = {"t.example": {"TXT": ["v=spf1 exists:%{l}.%{l}.%{l}.%{l}.%{l}.example.com -all"]}}
    r, _, queries = check(zone, f"{'y' * 60}@t.example")
    assert r.result == "fail"
    asked = [name for name, rdtype in queries if rdtype == "A"]
    assert len(asked) == 1 and len(asked[0]) <= 253 and asked[0].endswith(".example.com")


def test_explanation_over_the_cap_falls_back_to_default():
    zone = {"e.example": {"TXT": ["v=spf1 -all exp=exp.e.example"]},
            "exp.e.example": {"TXT": ["%{s}" * 40]}}
    r, _, _ = check(zone, f"{'z' * 60}@e.example")
    assert r.result == "fail" and r.explanation and len(r.explanation) < 200


def test_ten_kilobyte_records():
    ip4 = " ".join(f"ip4:10.{i // 250}.{i % 250}.1" for i in range(600))
    zone = {"big.example": {"TXT": [[ip4[i:i + 255] for i in range(0, len(ip4), 255)] + [" -all"]]},
            "bigerr.example": {"TXT": ["v=spf1 " + "ip4:10.0.0.1 " * 800 + "bogus -all"]},
            "biga.example": {"TXT": ["v=spf1 " + "a " * 3000 + "-all"]}}
    zone["big.example"]["TXT"][0][0] = "v=spf1 " + zone["big.example"]["TXT"][0][0]
    for name, expected in (("big", "fail"), ("bigerr", "permerror"), ("biga", "permerror")):
        r, elapsed, _ = check(zone, f"x@{name}.example")
        assert r.result == expected and elapsed < 0.5, (name, r.problem)
    assert len(zone["bigerr.example"]["TXT"][0]) > 10_000


def test_ptr_with_hundreds_of_names_looks_at_ten():
    zone = {"p.example": {"TXT": ["v=spf1 ptr -all"]},
            "1.2.0.192.in-addr.arpa": {"PTR": [f"h{i}.p.example" for i in range(300)]}}
    r, _, queries = check(zone, "x@p.example")
    assert r.result == "fail" and len([q for q in queries if q[1] == "A"]) == 10


def test_snapshot_timeouts_are_temperror():
    zone = {"slow.example": {"TXT": "TIMEOUT"},
            "inc.example": {"TXT": ["v=spf1 include:slow.example -all"]},
            "mx.example": {"TXT": ["v=spf1 mx -all"], "MX": ["10 deadhost.example"]},
            "deadhost.example": {"A": "TIMEOUT"}}
    for sender in ("x@slow.example", "x@inc.example", "x@mx.example"):
        r, elapsed, _ = check(zone, sender)
        assert r.result == "temperror" and elapsed < 0.5 and "TIMEOUT" in r.problem


@pytest.mark.parametrize("silent", [True, False], ids=["silent-socket", "closed-port"])
def test_live_dns_that_never_answers_is_temperror_quickly(silent):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    if not silent:
        sock.close()
    try:
        async def go():
            resolver = LiveResolver(f"127.0.0.1:{port}", timeout=0.3, deadline=1.0)
            try:
                return await evaluate_spf(resolver, "192.0.2.1", "x@example.com", "h.example.org")
            finally:
                await resolver.aclose()

        start = time.perf_counter()
        r = asyncio.run(go())
        assert r.result == "temperror"
        assert time.perf_counter() - start < 2.0
    finally:
        if silent:
            sock.close()
