"""Sign -> verify round trips for every algorithm and canonicalization, checked by
our verifier and by dkimpy (test oracle only), and dkimpy's signatures checked by ours."""

from __future__ import annotations

import base64
import itertools

import pytest
from cryptography.hazmat.primitives import serialization

import dkim  # oracle only; never imported by src/
from mailwarden.dkim import sign_message, verify_message
from mailwarden.message import parse_message

from .conftest import MESSAGE, ed_record, pem, rsa_record, run

CANONS = ["/".join(c) for c in itertools.product(("simple", "relaxed"), repeat=2)]
MESSAGES = {
    "crlf": MESSAGE,
    "folded": (b"From: a@example.com\r\nSubject: a very\r\n\tlong   subject \r\nTo: x@y.z,\r\n  w@v.u\r\n\r\n"
               b"line\t \r\n  indented\r\n\r\n \r\n"),
    "empty-body": b"From: a@example.com\r\nSubject: nothing\r\n\r\n",
    "no-final-crlf": b"From: a@example.com\r\n\r\ntext without newline",
}


def dnsfunc_for(record: str):
    def dnsfunc(name, timeout=5):
        return record.encode()
    return dnsfunc


def key_setup(algorithm, rsa_key, ed_key):
    if algorithm == "rsa-sha256":
        return "rsa", pem(rsa_key), rsa_record(rsa_key)
    return "ed", pem(ed_key), ed_record(ed_key)


@pytest.mark.parametrize("which", sorted(MESSAGES))
@pytest.mark.parametrize("canonicalization", CANONS)
@pytest.mark.parametrize("algorithm", ["rsa-sha256", "ed25519-sha256"])
def test_round_trip(resolver, rsa_key, ed_key, algorithm, canonicalization, which):
    selector, key_pem, record = key_setup(algorithm, rsa_key, ed_key)
    raw = MESSAGES[which]
    field = sign_message(parse_message(raw), "example.com", selector, key_pem, algorithm, canonicalization,
                         now=1_700_000_000)
    data = field + raw
    (ours,) = run(verify_message(resolver, parse_message(data), now=1_700_000_100))
    assert ours.result == "pass", ours.reason
    assert ours.canonicalization == canonicalization and ours.algorithm == algorithm
    assert dkim.verify(data, dnsfunc=dnsfunc_for(record)), "dkimpy rejects our signature"
    tampered = data.replace(b"From: a", b"From: b").replace(b"From: Alice", b"From: Alicf")
    assert run(verify_message(resolver, parse_message(tampered), now=1_700_000_100))[0].result == "fail"


@pytest.mark.parametrize("canonicalization", CANONS)
@pytest.mark.parametrize("algorithm", ["rsa-sha256", "ed25519-sha256"])
def test_dkimpy_signatures_verify_with_us(resolver, rsa_key, ed_key, algorithm, canonicalization):
    if algorithm == "rsa-sha256":
        selector, private = b"rsa", pem(rsa_key)
    else:
        selector = b"ed"
        raw = ed_key.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                   serialization.NoEncryption())
        private = base64.b64encode(raw)
    header, body = canonicalization.encode().split(b"/")
    sig = dkim.sign(MESSAGE, selector, b"example.com", private, canonicalize=(header, body),
                    signature_algorithm=algorithm.encode())
    (ours,) = run(verify_message(resolver, parse_message(sig + MESSAGE)))
    assert ours.result == "pass", ours.reason


def test_lf_only_message_round_trip(resolver, rsa_key):
    raw = MESSAGES["folded"].replace(b"\r\n", b"\n")
    field = sign_message(parse_message(raw), "example.com", "rsa", pem(rsa_key), canonicalization="simple/simple")
    data = field.replace(b"\r\n", b"\n") + raw
    assert run(verify_message(resolver, parse_message(data)))[0].result == "pass"
    assert dkim.verify(data.replace(b"\n", b"\r\n"), dnsfunc=dnsfunc_for(rsa_record(rsa_key)))


def test_explicit_headers_and_identity(resolver, rsa_key):
    field = sign_message(parse_message(MESSAGE), "example.com", "rsa", pem(rsa_key),
                         headers=["From", "Subject", "X-Absent"], identity="alice@mail.example.com")
    (r,) = run(verify_message(resolver, parse_message(field + MESSAGE)))
    assert r.result == "pass" and r.signed_headers == ("from", "subject", "x-absent")
    assert r.identity == "alice@mail.example.com"
    added = field + MESSAGE.replace(b"To:", b"X-Absent: sneaky\r\nTo:")
    assert run(verify_message(resolver, parse_message(added)))[0].result == "fail"


def test_sign_argument_errors(rsa_key, ed_key):
    from mailwarden.errors import InputError, KeyFileError

    msg = parse_message(MESSAGE)
    with pytest.raises(InputError, match="rsa-sha1"):
        sign_message(msg, "example.com", "s", pem(rsa_key), "rsa-sha1")
    with pytest.raises(InputError, match="ed25519 but the algorithm"):
        sign_message(msg, "example.com", "s", pem(ed_key), "rsa-sha256")
    with pytest.raises(InputError, match="From header field must be signed"):
        sign_message(msg, "example.com", "s", pem(rsa_key), headers=["subject"])
    with pytest.raises(InputError, match="not a valid domain"):
        sign_message(msg, "exa mple.com", "s", pem(rsa_key))
    with pytest.raises(KeyFileError):
        sign_message(msg, "example.com", "s", b"-----BEGIN PRIVATE KEY-----\ngarbage\n-----END PRIVATE KEY-----\n")


def test_generated_keys_sign_and_verify():
    from mailwarden.dkim import generate_key, parse_key_record
    from mailwarden.dns.snapshot import SnapshotResolver

    for key_type in ("rsa", "ed25519"):
        pair = generate_key(key_type, 1024)
        key = parse_key_record(pair.txt_record)
        assert key.key_type == key_type and key.bits == pair.bits
        algorithm = "rsa-sha256" if key_type == "rsa" else "ed25519-sha256"
        field = sign_message(parse_message(MESSAGE), "example.org", "k", pair.private_pem, algorithm)
        resolver = SnapshotResolver.from_dict({"k._domainkey.example.org": {"TXT": [pair.txt_record]}})
        assert run(verify_message(resolver, parse_message(field + MESSAGE)))[0].result == "pass"
