"""Authentication-Results generation (RFC 8601): exact output, and hostile values
that must not break out of their place in the header."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from mailwarden.authres import (
    ResultEntry,
    build_authentication_results,
    dkim_entries,
    format_authentication_results,
    valid_authserv_id,
)
from mailwarden.message.authres import parse_authentication_results


def sig(**kw):
    base = {"domain": "example.com", "selector": "s1", "result": "pass", "identity": "@example.com",
            "algorithm": "rsa-sha256", "header_b": "abcdefghijklmnop", "key_bits": 2048, "key_type": "rsa",
            "reason": None}
    base.update(kw)
    return base


def test_full_header_exact():
    header = build_authentication_results(
        "mx.example.net",
        spf={"result": "pass", "domain": "example.com", "identity": "mailfrom"},
        dkim=[sig(), sig(domain="esp.example", result="fail", reason="body hash mismatch", header_b="Qgi/FoC0xyz")],
        dmarc={"result": "pass", "from_domain": "example.com", "policy": "reject", "reason": "aligned DKIM pass",
               "disposition": "none"},
        arc={"cv": "none"},
        mail_from="bounce@example.com",
    )
    assert header == (
        "Authentication-Results: mx.example.net; spf=pass smtp.mailfrom=bounce@example.com; "
        "dkim=pass (2048-bit rsa key) header.d=example.com header.i=@example.com header.s=s1 "
        "header.a=rsa-sha256 header.b=abcdefgh; "
        "dkim=fail (body hash mismatch) header.d=esp.example header.i=@example.com header.s=s1 "
        'header.a=rsa-sha256 header.b="Qgi/FoC0"; '
        "dmarc=pass (aligned DKIM pass) header.from=example.com policy.dmarc=reject; arc=none"
    )
    parsed = parse_authentication_results(header)
    assert parsed.authserv_id == "mx.example.net"
    assert [(r.method, r.result) for r in parsed.results] == [
        ("spf", "pass"), ("dkim", "pass"), ("dkim", "fail"), ("dmarc", "pass"), ("arc", "none")]
    assert parsed.results[2].get("header.b") == "Qgi/FoC0"


def test_null_sender_uses_helo_and_no_signature_is_dkim_none():
    header = build_authentication_results("mx.test", spf={"result": "none", "identity": "helo", "domain": "h.example"},
                                          dkim=[], mail_from="", helo="h.example")
    assert header == "Authentication-Results: mx.test; spf=none smtp.helo=h.example; dkim=none (no signatures)"


def test_hostile_values_cannot_inject_results():
    evil = 'x@evil.example; dmarc=pass header.from=bank.example\r\nX-Injected: 1'
    header = build_authentication_results(
        "mx.test",
        spf={"result": "fail", "identity": "mailfrom"},
        dkim=[sig(domain="a.example; dkim=pass", result="fail", reason="bad) ; dmarc=pass (", selector='s"1')],
        dmarc={"result": "fail", "from_domain": "bank.example", "policy": "reject", "reason": "x\r\n\tdmarc=pass"},
        mail_from=evil,
    )
    assert "\r" not in header and "\n" not in header
    parsed = parse_authentication_results(header)
    assert [(r.method, r.result) for r in parsed.results] == [("spf", "fail"), ("dkim", "fail"), ("dmarc", "fail")]
    assert parsed.results[0].get("smtp.mailfrom") == evil.replace("\r", " ").replace("\n", " ")
    assert parsed.results[1].get("header.d") == "a.example; dkim=pass"
    assert parsed.results[1].get("header.s") == 's"1'
    assert parsed.defects == ()


def test_unknown_result_word_is_not_echoed():
    header = format_authentication_results("mx.test", [ResultEntry("dmarc", "pass;spf=pass")])
    assert header == "Authentication-Results: mx.test; dmarc=permerror"


def test_authserv_id_validation_and_quoting():
    assert valid_authserv_id("mx.example.com")
    assert not valid_authserv_id("mx example")
    assert not valid_authserv_id("a;b")
    header = format_authentication_results("a; dmarc=pass", [ResultEntry("arc", "none")])
    assert parse_authentication_results(header).results[0].method == "arc"
    assert len(parse_authentication_results(header).results) == 1


def test_fold_puts_results_on_continuation_lines():
    header = build_authentication_results("mx.test", dkim=[sig()], arc={"cv": "pass", "oldest_pass": 0}, fold=True)
    assert header.count("\r\n\t") == 2
    assert "arc=pass header.oldest-pass=0" in header


def test_dkim_entries_one_per_signature_in_order():
    entries = dkim_entries([sig(domain="a.example"), sig(domain="b.example", result="temperror", reason="DNS")])
    assert [(e.result, dict(e.properties)["header.d"]) for e in entries] == [("pass", "a.example"),
                                                                         ("temperror", "b.example")]


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.text(max_size=80), st.text(max_size=80))
def test_any_value_round_trips_as_one_result(domain, reason, mail_from):
    header = build_authentication_results(
        "mx.test", spf={"result": "pass", "identity": "mailfrom"}, mail_from=mail_from or "a@b.example",
        dkim=[sig(domain=domain or "d.example", result="fail", reason=reason)],
    )
    assert "\n" not in header and "\r" not in header
    parsed = parse_authentication_results(header)
    assert [r.method for r in parsed.results] == ["spf", "dkim"]
    assert parsed.results[1].get("header.d") == re.sub(r"[\x00-\x1f\x7f]", " ", domain or "d.example")
