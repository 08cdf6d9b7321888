"""Verification of every signature, each with its own result and evidence (RFC 6376 section 6)."""

from __future__ import annotations

import json

import pytest

from mailwarden.dkim import KeyCache, sign_message, verify_message
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.message import parse_message

from .conftest import MESSAGE, pem, run

NOW = 1_700_000_000


def signed(key, selector, *, message=MESSAGE, **kw) -> bytes:
    algorithm = kw.pop("algorithm", "rsa-sha256")
    field = sign_message(parse_message(message), "example.com", selector, pem(key), algorithm, now=NOW, **kw)
    return field + message


def verify(resolver, data: bytes, **kw):
    return run(verify_message(resolver, parse_message(data), now=kw.pop("now", NOW + 10), **kw))


def test_pass_with_evidence(resolver, rsa_key):
    (r,) = verify(resolver, signed(rsa_key, "rsa"))
    assert (r.result, r.reason, r.domain, r.selector, r.key_bits, r.key_type) == (
        "pass", None, "example.com", "rsa", 2048, "rsa")
    assert r.algorithm == "rsa-sha256" and r.canonicalization == "relaxed/relaxed"
    assert r.identity == "@example.com" and r.timestamp == NOW
    assert "from" in r.signed_headers and len(r.header_b) >= 8
    assert not r.body_length_limited and r.unsigned_bytes_after_l is None and not r.weak_algorithm


def test_body_modified(resolver, rsa_key):
    data = signed(rsa_key, "rsa").replace(b"Hello Bob", b"Hello Eve")
    (r,) = verify(resolver, data)
    assert r.result == "fail" and "body hash mismatch" in r.reason


def test_header_modified(resolver, rsa_key):
    data = signed(rsa_key, "rsa").replace(b"Subject:  A", b"Subject:  B")
    (r,) = verify(resolver, data)
    assert r.result == "fail" and "signature did not verify" in r.reason


def test_added_from_is_caught_by_over_signing(resolver, rsa_key):
    data = signed(rsa_key, "rsa").replace(b"To: Bob", b"From: evil@evil.test\r\nTo: Bob")
    assert verify(resolver, data)[0].result == "fail"


@pytest.mark.parametrize(
    ("selector", "result", "reason"),
    [
        ("missing", "permerror", "key not found"),
        ("broken", "temperror", "SERVFAIL"),
        ("revoked", "permerror", "revoked"),
        ("short", "permerror", "key too short: 768 bits"),
        ("tlsrpt", "permerror", "service type"),
        ("sha1only", "permerror", "does not allow sha256"),
        ("ed", "permerror", "does not match"),
    ],
)
def test_key_problems(resolver, rsa_key, selector, result, reason):
    (r,) = verify(resolver, signed(rsa_key, selector))
    assert r.result == result and reason in r.reason


def test_testing_key_passes_and_says_so(resolver, rsa_key):
    (r,) = verify(resolver, signed(rsa_key, "testing"))
    assert r.result == "pass" and r.key_testing and "t=y" in r.reason


def test_strict_key_refuses_subdomain_identity(resolver, rsa_key):
    assert verify(resolver, signed(rsa_key, "strict", identity="@example.com"))[0].result == "pass"
    (r,) = verify(resolver, signed(rsa_key, "strict", identity="@sub.example.com"))
    assert r.result == "permerror" and "t=s" in r.reason


def test_expired(resolver, rsa_key):
    data = signed(rsa_key, "rsa", expire_after=60)
    assert verify(resolver, data, now=NOW + 30)[0].result == "pass"
    (r,) = verify(resolver, data, now=NOW + 61)
    assert r.result == "neutral" and "expired" in r.reason and r.expiration == NOW + 60


def test_rsa_sha1_is_reported_weak(resolver, rsa_key):
    import base64
    import hashlib

    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    from mailwarden.dkim.canon import HeaderIndex, canon_header

    msg = parse_message(MESSAGE)
    bh = base64.b64encode(hashlib.sha1(b"Hello Bob,  \r\n\tthis is\ta test.\r\n").digest()).decode()
    head = f"DKIM-Signature: v=1; a=rsa-sha1; d=example.com; s=rsa; h=from:subject; bh={bh}; b="
    data = b"".join(canon_header(h, "simple") for h in HeaderIndex(msg.headers).select(["from", "subject"]))
    sig = rsa_key.sign(data + head.encode(), padding.PKCS1v15(), hashes.SHA1())
    (r,) = verify(resolver, (head + base64.b64encode(sig).decode() + "\r\n").encode() + MESSAGE)
    assert r.result == "policy" and r.weak_algorithm and "rsa-sha1" in r.reason


def test_l_tag_reports_unsigned_appended_bytes(resolver, rsa_key):
    data = signed(rsa_key, "rsa", body_length=True)
    (r,) = verify(resolver, data)
    assert r.result == "pass" and r.body_length_limited and r.unsigned_bytes_after_l == 0
    spoofed = data + b"Click http://evil.example/ now\r\n"
    (r,) = verify(resolver, spoofed)
    # the two empty lines that ended the signed body now count too (4 bytes)
    assert r.result == "pass" and r.unsigned_bytes_after_l == 4 + len(b"Click http://evil.example/ now\r\n")
    assert "unsigned" in r.reason


def test_l_longer_than_body_fails(resolver, rsa_key):
    data = signed(rsa_key, "rsa", body_length=True)
    head, _, _ = data.partition(b"\r\n\r\n")
    (r,) = verify(resolver, head + b"\r\n\r\nHi\r\n")
    assert r.result == "fail" and "longer than the body" in r.reason


def test_every_signature_reported_topmost_first(resolver, rsa_key, ed_key):
    inner = signed(rsa_key, "rsa")
    outer = sign_message(parse_message(inner), "example.com", "ed", pem(ed_key), "ed25519-sha256", now=NOW)
    data = outer + b"DKIM-Signature: v=1; a=rsa-sha256; d=bad domain; s=x; h=from; bh=AAAA; b=AAAA\r\n" + inner
    results = verify(resolver, data)
    assert [r.result for r in results] == ["pass", "neutral", "pass"]
    assert [r.selector for r in results] == ["ed", "x", "rsa"]
    assert "invalid signature" in results[1].reason


def test_no_signature():
    assert verify(SnapshotResolver.from_dict({}), MESSAGE) == ()


def test_key_fetched_once_for_many_signatures(zone, rsa_key):
    from mailwarden.dns.snapshot import load_zone

    from .test_keys import CountingResolver

    data = signed(rsa_key, "rsa")
    for _ in range(3):
        data = sign_message(parse_message(data), "example.com", "rsa", pem(rsa_key), now=NOW) + data
    resolver = CountingResolver(load_zone(zone))
    cache = KeyCache()
    results = verify(resolver, data, key_cache=cache)
    assert [r.result for r in results] == ["pass"] * 4
    verify(resolver, data, key_cache=cache)
    assert resolver.asked == ["rsa._domainkey.example.com"]


def test_as_json_has_spec_fields(resolver, rsa_key):
    (r,) = verify(resolver, signed(rsa_key, "rsa"))
    obj = json.loads(json.dumps(r.to_json()))
    for key in ("domain", "selector", "algorithm", "result", "reason", "body_length_limited", "key_bits"):
        assert key in obj


def test_headers_only_input_fails_body_hash(resolver, rsa_key):
    head = signed(rsa_key, "rsa").split(b"\r\n\r\n")[0] + b"\r\n"
    (r,) = verify(resolver, head)
    assert r.result == "fail" and "body hash" in r.reason
