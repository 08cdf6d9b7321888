"""The dkim conformance suite as pytest cases: dkimpy 1.1.8 static vectors and the
RFC 8463 example from mailauth, built the way ../shared/tools/conformance.py builds them."""

from __future__ import annotations

import json

import pytest

from mailwarden.dkim import verify_message
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.message import parse_message

from .conftest import run

STATIC = [
    ("rfc6376.signed.msg", True),
    ("ed25519test2.msg", True),
    ("test2.message", True),
    ("rfc6376.signed.rsa.msg", False),
    ("rfc6376.signed.no_t.msg", False),
    ("test.message.baddomain", False),
]


def txt_record(text: str):
    return text if len(text) <= 255 else [text[i : i + 255] for i in range(0, len(text), 255)]


def dkimpy_zone(corpora) -> dict:
    derived = json.loads((corpora / "dkim-vectors/dkimpy-1.1.8/EXPECTED.derived.json").read_text())
    return {name: {"TXT": [txt_record(v["txt"])]} for name, v in derived["dns_txt"].items()}


def test_static_cases_match_the_derived_expectations(corpora):
    derived = json.loads((corpora / "dkim-vectors/dkimpy-1.1.8/EXPECTED.derived.json").read_text())
    listed = {(c["message"], c["expected"]) for c in derived["static_verify_cases"] if "sign then" not in c["verify"]}
    assert listed == set(STATIC)


@pytest.mark.parametrize(("name", "expected"), STATIC)
def test_dkimpy_static_vectors(corpora, name, expected):
    zone = dkimpy_zone(corpora)
    if name == "rfc6376.signed.rsa.msg":  # the defective key of dkimpy's dnsfunc6 (one character missing)
        canonical = zone["example._domainkey.canonical.com."]["TXT"][0]
        zone["test._domainkey.football.example.com."] = {
            "TXT": ["k=rsa; p=" + canonical.split("p=", 1)[1].replace("hvcNAQ", "hvNAQ", 1)]}
    data = (corpora / "dkim-vectors/dkimpy-1.1.8" / name).read_bytes()
    results = run(verify_message(SnapshotResolver.from_dict(zone), parse_message(data)))
    assert (results[0].result == "pass") == expected, results[0].reason
    if not expected:
        assert results[0].reason


def test_rfc8463_example_both_signatures_pass(corpora):
    folder = corpora / "dkim-vectors/mailauth-rfc8463"
    resolver = SnapshotResolver.from_dict(json.loads((folder / "dns.json").read_text()))
    results = run(verify_message(resolver, parse_message((folder / "signed.eml").read_bytes())))
    assert [(r.algorithm, r.result, r.key_bits) for r in results] == [
        ("ed25519-sha256", "pass", 256), ("rsa-sha256", "pass", 1024)]


def test_corpus_private_keys_sign_for_their_records(corpora):
    """test.private / rfc8032_7_1.key (Ed25519 seed) sign what test.txt / brisbane verify."""
    from mailwarden.dkim import sign_message

    folder = corpora / "dkim-vectors/dkimpy-1.1.8"
    zone = dkimpy_zone(corpora)
    raw = (folder / "rfc6376.msg").read_bytes()
    for selector, key_file, algorithm in (("test", "test.private", "rsa-sha256"),
                                          ("brisbane", "rfc8032_7_1.key", "ed25519-sha256")):
        field = sign_message(parse_message(raw), "football.example.com", selector,
                             (folder / key_file).read_bytes(), algorithm)
        (r,) = run(verify_message(SnapshotResolver.from_dict(zone), parse_message(field + raw)))
        assert r.result == "pass", (selector, r.reason)
