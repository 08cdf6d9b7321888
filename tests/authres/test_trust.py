"""Existing results that claim our authserv-id (RFC 8601 section 5, CVE-2019-20790 class)."""

from __future__ import annotations

from mailwarden.authres import untrusted_claims
from mailwarden.authres.trust import without_claims
from mailwarden.message import parse_message

RAW = (
    b"Authentication-Results: MX.Example.NET.; dmarc=pass header.from=bank.example\r\n"
    b"Received-SPF: pass (mx.example.net: 1.2.3.4 is authorized) receiver=mx.example.net; client-ip=1.2.3.4\r\n"
    b"Received-SPF: pass receiver=other.example\r\n"
    b"Authentication-Results: mx.example.net.evil; spf=pass\r\n"
    b"Authentication-Results: spf=pass (no authserv-id at all) smtp.mailfrom=bank.example\r\n"
    b"From: a@bank.example\r\n\r\nx\r\n"
)


def test_claims_found_and_others_counted():
    report = untrusted_claims(parse_message(RAW), "mx.example.net")
    assert report.forged
    assert [(c.header, c.position) for c in report.claims] == [("Authentication-Results", 0), ("Received-SPF", 1)]
    assert report.other_results == 3
    assert report.to_json()["ignored_own_claims"][0]["text"].startswith("MX.Example.NET.;")


def test_no_claims():
    report = untrusted_claims(parse_message(b"From: a@b.example\r\n\r\nx\r\n"), "mx.example.net")
    assert not report.forged and report.other_results == 0


def test_without_claims_removes_only_ours():
    msg = without_claims(parse_message(RAW), "mx.example.net")
    names = [h.value[:30] for h in msg.headers]
    assert len(msg.headers) == 4
    assert not any(v.lower().startswith("mx.example.net;") for v in names)
    assert msg.body == b"x\r\n"


def test_many_claims_bounded():
    raw = b"Authentication-Results: mx.test; spf=pass\r\n" * 5000 + b"From: a@b.example\r\n\r\nx\r\n"
    msg = parse_message(raw)
    report = untrusted_claims(msg, "mx.test")
    assert len(report.claims) == 50
    assert len(without_claims(msg, "mx.test").headers) == 1
