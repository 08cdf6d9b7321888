"""Key records (RFC 6376 section 3.6.1, RFC 8463 section 4.2, RFC 8301) and the key cache."""

from __future__ import annotations

import asyncio
import time

import pytest

from mailwarden.dkim.keys import KeyCache, parse_key_record
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.errors import RecordSyntaxError

from .conftest import public_record_of_size, rsa_record


def test_rsa_record_with_all_tags(rsa_key):
    text = rsa_record(rsa_key) + "; h=sha256:sha1; s=email; t=y:s; n=notes here"
    key = parse_key_record(text)
    assert (key.key_type, key.bits, key.revoked) == ("rsa", 2048, False)
    assert key.testing and key.strict_identity
    assert key.hash_algorithms == ("sha256", "sha1") and key.allows_hash("sha1")
    assert key.service_types == ("email",) and key.for_email
    assert key.notes == "notes here" and key.version == "DKIM1"
    assert key.public_key.key_size == 2048


def test_defaults_and_folding_inside_p(rsa_key):
    p = rsa_record(rsa_key).split("p=", 1)[1]
    key = parse_key_record(f"p={p[:50]} \t{p[50:100]}\r\n {p[100:]}")
    assert key.key_type == "rsa" and key.bits == 2048 and not key.testing
    assert key.hash_algorithms is None and key.service_types == ("*",)


def test_revoked_key_has_no_public_key():
    key = parse_key_record("v=DKIM1; k=rsa; p=")
    assert key.revoked and key.public_key is None and key.bits is None


def test_ed25519_key(ed_key):
    from .conftest import ed_record

    key = parse_key_record(ed_record(ed_key))
    assert (key.key_type, key.bits) == ("ed25519", 256)
    with pytest.raises(RecordSyntaxError, match="32 bytes"):
        parse_key_record("k=ed25519; p=AAAA")


def test_service_type_tlsrpt_is_not_for_email(rsa_key):
    assert not parse_key_record(rsa_record(rsa_key) + "; s=tlsrpt").for_email


def test_pkcs1_rsa_public_key_is_accepted(rsa_key):
    import base64

    from cryptography.hazmat.primitives import serialization

    der = rsa_key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.PKCS1)
    assert parse_key_record("k=rsa; p=" + base64.b64encode(der).decode()).bits == 2048


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("v=DKIM2; p=AAAA", "not DKIM1"),
        ("k=rsa; v=DKIM1; p=AAAA", "not DKIM1 as the first tag"),
        ("k=dsa; p=AAAA", "unknown key type"),
        ("k=ed25519-sha256; p=AAAA", "unknown key type"),
        ("v=DKIM1; k=rsa", "p= is missing"),
        ("k=rsa; p=!!!!", "not valid base64"),
        ("k=rsa; p=QUJDRA==", "not a valid RSA public key"),
        ("k=rsa; p=AAAA; p=AAAA", "duplicate tag"),
        ("this is not a key", "without '='"),
    ],
)
def test_invalid_records(text, message):
    with pytest.raises(RecordSyntaxError, match=message):
        parse_key_record(text)


def test_corpus_key_records(corpora):
    folder = corpora / "dkim-vectors" / "dkimpy-1.1.8"
    assert parse_key_record((folder / "test.txt").read_text().strip()).bits == 1024
    assert parse_key_record((folder / "test2.txt").read_text().strip()).key_type == "rsa"
    assert not parse_key_record((folder / "test_tlsrpt.txt").read_text().strip()).for_email
    for bad in ("badk.txt", "badversion.txt", "test_bad.txt"):
        with pytest.raises(RecordSyntaxError):
            parse_key_record((folder / bad).read_text().strip())


def test_short_key_parses_with_its_size():
    assert parse_key_record(public_record_of_size(768)).bits == 768


def test_16384_bit_key_is_bounded_and_larger_is_refused():
    start = time.perf_counter()
    assert parse_key_record(public_record_of_size(16384)).bits == 16384
    with pytest.raises(RecordSyntaxError, match="larger than"):
        parse_key_record(public_record_of_size(20000))
    with pytest.raises(RecordSyntaxError, match="characters long"):
        parse_key_record("k=rsa; p=" + "A" * 100_000)
    assert time.perf_counter() - start < 2


class CountingResolver(SnapshotResolver):
    def __init__(self, zone):
        super().__init__(zone)
        self.asked: list[str] = []

    async def query(self, name, rdtype):
        self.asked.append(name)
        await asyncio.sleep(0.01)  # let concurrent requests overlap
        return await super().query(name, rdtype)


def test_key_cache_fetches_each_name_once_even_concurrently(zone):
    from mailwarden.dns.snapshot import load_zone

    resolver = CountingResolver(load_zone(zone))
    cache = KeyCache()

    async def go():
        return await asyncio.gather(*[cache.get(resolver, "rsa", "example.com") for _ in range(5)],
                                    cache.get(resolver, "RSA", "Example.com"),
                                    cache.get(resolver, "nope", "example.com"),
                                    cache.get(resolver, "nope", "example.com"))

    results = asyncio.run(go())
    assert all(r.key is not None for r in results[:6])
    assert results[6].result == "permerror" and "NXDOMAIN" in results[6].reason
    assert resolver.asked == ["rsa._domainkey.example.com", "nope._domainkey.example.com"]


def test_key_lookup_outcomes(resolver):
    cache = KeyCache()

    async def get(sel):
        return await cache.get(resolver, sel, "example.com")

    assert asyncio.run(get("broken")).result == "temperror"
    assert asyncio.run(get("revoked")).key.revoked
    bad_name = asyncio.run(cache.get(resolver, "x" * 70, "example.com"))
    assert bad_name.result == "permerror" and "not a valid DNS name" in bad_name.reason
