"""Sealing and validating multi-hop chains with our own keys (RFC 8617 sections 5.1, 5.2)."""

from __future__ import annotations

import asyncio
import json

import pytest

from mailwarden.arc import seal, verify_chain
from mailwarden.arc.seal import authserv_results, split_results
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.errors import InputError
from mailwarden.message import parse_message
from tests.dkim.conftest import MESSAGE, ed_record, pem, rsa_record

from cryptography.hazmat.primitives.asymmetric import ed25519, rsa  # isort: skip


@pytest.fixture(scope="module")
def keys():
    return {"rsa": rsa.generate_private_key(public_exponent=65537, key_size=2048),
            "ed": ed25519.Ed25519PrivateKey.generate()}


@pytest.fixture(scope="module")
def resolver_zone(keys):
    return {"arc._domainkey.list.example": {"TXT": [rsa_record(keys["rsa"])]},
            "arc._domainkey.fwd.example": {"TXT": [ed_record(keys["ed"])]}}


def hop(data: bytes, domain: str, key, arc_state: str | None, authserv: str) -> bytes:
    ar = f"Authentication-Results: {authserv}; spf=pass smtp.mailfrom=example.com"
    if arc_state:
        ar += f"; arc={arc_state}"
    ar += ";\r\n dkim=pass header.d=example.com (a comment; with semicolon)\r\n"
    message = parse_message(ar.encode() + data)
    fields = seal(message, domain, "arc", pem(key), authserv, now=1_700_000_000)
    return fields.as_bytes() + message.as_bytes()


def verify(zone, data):
    return asyncio.run(verify_chain(SnapshotResolver.from_dict(zone), parse_message(data)))


def test_no_arc_is_none(resolver_zone):
    r = verify(resolver_zone, MESSAGE)
    assert (r.cv, r.instances, r.failed_instance) == ("none", 0, None)


def test_three_hops_pass_with_evidence(keys, resolver_zone):
    data = hop(MESSAGE, "list.example", keys["rsa"], None, "mx.list.example")
    data = hop(data, "fwd.example", keys["ed"], "pass", "mx.fwd.example")
    data = hop(data, "list.example", keys["rsa"], "pass", "mx2.list.example")
    r = verify(resolver_zone, data)
    assert (r.cv, r.instances, r.oldest_pass, r.reason) == ("pass", 3, 0, None)
    assert [s.seal.domain for s in r.sets] == ["list.example", "fwd.example", "list.example"]
    assert [s.cv for s in r.sets] == ["none", "pass", "pass"]
    assert r.sets[1].seal.key_bits == 256 and r.sets[0].message_signature.key_bits == 2048
    assert r.sets[0].authentication_results.startswith("mx.list.example; spf=pass")
    assert "(a comment; with semicolon)" in r.sets[0].authentication_results
    assert json.loads(json.dumps(r.to_json()))["sets"][2]["seal"]["result"] == "pass"


def test_modified_after_sealing_fails_and_oldest_pass(keys, resolver_zone):
    data = hop(MESSAGE, "list.example", keys["rsa"], None, "mx.list.example")
    modified = data.replace(b"Subject:  A  test", b"Subject: [list] A test")
    r = verify(resolver_zone, modified)
    assert (r.cv, r.failed_instance) == ("fail", 1) and "ARC-Message-Signature i=1" in r.reason
    # a later hop seals the modified message: chain passes, but AMS(1) no longer does
    data2 = hop(modified, "fwd.example", keys["ed"], "pass", "mx.fwd.example")
    r = verify(resolver_zone, data2)
    assert (r.cv, r.oldest_pass) == ("pass", 2)
    assert r.sets[0].message_signature.result == "fail"


def test_tampered_seal_fails(keys, resolver_zone):
    data = hop(MESSAGE, "list.example", keys["rsa"], None, "mx.list.example")
    data = hop(data, "fwd.example", keys["ed"], "pass", "mx.fwd.example")
    aar1 = b"ARC-Authentication-Results: i=1; mx.list.example;\r\n spf=pass"
    assert aar1 in data
    tampered = data.replace(aar1, aar1.replace(b"spf=pass", b"spf=fail"))
    r = verify(resolver_zone, tampered)
    # AS(2) covers every set, so the check from the latest down stops at i=2; AS(1) failed too
    assert r.cv == "fail" and r.failed_instance == 2 and "ARC-Seal i=2" in r.reason
    assert [s.seal.result for s in r.sets] == ["fail", "fail"]
    assert [s.message_signature.result for s in r.sets] == ["pass", "pass"]


def test_key_problems_are_reported(keys):
    data = hop(MESSAGE, "list.example", keys["rsa"], None, "mx.list.example")
    r = verify({}, data)
    assert r.cv == "fail" and "key not found" in r.reason
    r = verify({"arc._domainkey.list.example": {"TXT": "TIMEOUT"}}, data)
    assert r.cv == "fail" and "temperror" in r.reason


def test_sealing_a_failed_chain(keys, resolver_zone):
    data = hop(MESSAGE, "list.example", keys["rsa"], None, "mx.list.example")
    data = hop(data, "fwd.example", keys["ed"], "fail", "mx.fwd.example")
    r = verify(resolver_zone, data)
    assert r.cv == "fail" and "records cv=fail" in r.reason
    again = parse_message(b"Authentication-Results: x.example; arc=fail\r\n" + data)
    assert seal(again, "list.example", "arc", pem(keys["rsa"]), "x.example") is None


def test_seal_errors(keys):
    msg = parse_message(MESSAGE)
    with pytest.raises(InputError, match="no Authentication-Results"):
        seal(msg, "list.example", "arc", pem(keys["rsa"]), "mx.list.example")
    ar = parse_message(b"Authentication-Results: mx.list.example; arc=pass\r\n" + MESSAGE)
    with pytest.raises(InputError, match="impossible"):
        seal(ar, "list.example", "arc", pem(keys["rsa"]), "mx.list.example")
    with pytest.raises(InputError, match="ARC-Seal"):
        seal(parse_message(b"Authentication-Results: a.b; spf=pass\r\n" + MESSAGE), "list.example", "arc",
             pem(keys["rsa"]), "a.b", headers=["from", "arc-seal"])


def test_instance_limit(keys, resolver_zone):
    data = hop(MESSAGE, "list.example", keys["rsa"], None, "h")
    for _ in range(49):
        data = hop(data, "fwd.example", keys["ed"], "pass", "h")
    r = verify(resolver_zone, data)
    assert (r.cv, r.instances) == ("pass", 50)
    with pytest.raises(InputError, match="50 ARC sets"):
        hop(data, "fwd.example", keys["ed"], "pass", "h")


def test_split_results_respects_comments_and_quotes():
    assert split_results('a.b; spf=pass (x; y) smtp.mailfrom="q;r"; dkim=none') == [
        "a.b", 'spf=pass (x; y) smtp.mailfrom="q;r"', "dkim=none"]
    msg = parse_message(b"Authentication-Results: A.B; none\r\nAuthentication-Results: other; spf=fail\r\n"
                        b"Authentication-Results: a.b; dmarc=pass\r\n\r\n")
    assert authserv_results(msg, "a.b") == ("A.B", ["dmarc=pass"])
