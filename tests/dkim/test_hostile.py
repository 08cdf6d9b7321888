"""Hostile input: bounded time and memory, clear results (SPEC section 10)."""

from __future__ import annotations

import time

import pytest

from mailwarden.dkim import sign_message, verify_message
from mailwarden.dkim.verify import MAX_SIGNATURES
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.message import parse_message

from .conftest import MESSAGE, pem, public_record_of_size, run

pytestmark = pytest.mark.slow


def timed(coro):
    start = time.perf_counter()
    out = run(coro)
    return out, time.perf_counter() - start


def test_10000_h_entries(resolver, rsa_key):
    names = ["from"] + [f"x-missing-{i % 50}" for i in range(9_999)]
    field = sign_message(parse_message(MESSAGE), "example.com", "rsa", pem(rsa_key), headers=names)
    data = field + MESSAGE
    (r,), seconds = timed(verify_message(resolver, parse_message(data)))
    assert r.result == "pass" and len(r.signed_headers) == 10_000
    assert seconds < 2
    (r,), seconds = timed(verify_message(resolver, parse_message(data.replace(b"Subject:", b"X-Missing-7: x\r\nSubject:"))))
    assert r.result == "fail" and seconds < 2


def test_16mb_body_with_l_zero(resolver, rsa_key):
    msg = MESSAGE + (b"spam spam \t spam " * 64 + b"\r\n") * 15_000  # about 16 MB
    assert len(msg) > 16_000_000
    field = sign_message(parse_message(MESSAGE.split(b"\r\n\r\n")[0] + b"\r\n\r\n"), "example.com", "rsa",
                         pem(rsa_key), body_length=True)  # l=0: an empty body was signed
    assert b"l=0;" in field
    (r,), seconds = timed(verify_message(resolver, parse_message(field + msg)))
    assert r.result == "pass" and r.body_length_limited
    assert r.unsigned_bytes_after_l > 14_000_000 and "unsigned" in r.reason
    assert seconds < 10


def test_16384_bit_key_record(rsa_key):
    resolver = SnapshotResolver.from_dict({"big._domainkey.example.com": {"TXT": [public_record_of_size(16384)]},
                                           "huge._domainkey.example.com": {"TXT": [public_record_of_size(20000)]}})
    msg = parse_message(MESSAGE)
    big = sign_message(msg, "example.com", "big", pem(rsa_key))
    huge = sign_message(msg, "example.com", "huge", pem(rsa_key))
    results, seconds = timed(verify_message(resolver, parse_message(big + huge + MESSAGE)))
    assert results[0].result == "fail" and results[0].key_bits == 16384
    assert results[1].result == "permerror" and "larger than a 16384-bit key" in results[1].reason
    assert seconds < 2


@pytest.mark.parametrize("garbage", [
    "b=" + "!@#$" * 50, "b=" + "A" * 20_000, "b=AAA", "bh=\x00\x01", "b=" + "A" * 2048,
])
def test_garbage_base64(resolver, garbage):
    tags = {"v": "1", "a": "rsa-sha256", "d": "example.com", "s": "rsa", "h": "from", "bh": "AAAA", "b": "AAAA"}
    name, value = garbage.split("=", 1)
    tags[name] = value
    field = "DKIM-Signature: " + "; ".join(f"{k}={v}" for k, v in tags.items())
    (r,), seconds = timed(verify_message(resolver, parse_message(field.encode("latin-1") + b"\r\n" + MESSAGE)))
    assert r.result in ("neutral", "fail") and r.reason and seconds < 1


def test_many_signatures_are_capped(resolver):
    field = b"DKIM-Signature: v=1; a=rsa-sha256; d=example.com; s=missing; h=from; bh=AAAA; b=AAAA\r\n"
    results = run(verify_message(resolver, parse_message(field * 1000 + MESSAGE)))
    assert len(results) == 1000
    assert {r.result for r in results[:MAX_SIGNATURES]} == {"permerror"}
    assert all("not evaluated" in r.reason for r in results[MAX_SIGNATURES:])
