"""DKIM key records (RFC 6376 section 3.6.1, RFC 8463 section 4.2) and the key cache.

:func:`parse_key_record` is pure and reusable (the domain audit reports key
type, size, testing flag and revocation from it). Loaded ``cryptography`` key
objects are cached by the ``p=`` text, so a key seen twice is decoded once.
:class:`KeyCache` makes sure one run never asks DNS for the same key twice.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mailwarden.cache import memo
from mailwarden.errors import RecordSyntaxError
from mailwarden.message.taglist import TagListError, parse_tag_list, strip_fws

if TYPE_CHECKING:
    from mailwarden.cache import Cache
    from mailwarden.dns.base import Resolver

#: RFC 8301 section 3.2: verifiers MUST NOT consider keys shorter than 1024 bits valid.
MIN_RSA_BITS = 1024
#: Larger keys are refused (OpenSSL's own modulus limit; keeps verification bounded).
MAX_RSA_BITS = 16384
#: A TXT record longer than this is not a key (a 16,384-bit key needs about 2,800 characters).
MAX_RECORD_CHARS = 16384
KEY_TYPES = ("rsa", "ed25519")
#: How long a key (or its absence) is kept when DNS gave no TTL (a snapshot).
NEGATIVE_CACHE_TTL = 60


@dataclass(frozen=True)
class DKIMKey:
    """A parsed key record. ``revoked`` (empty ``p=``) keys have no ``public_key``."""

    record: str
    key_type: str
    bits: int | None
    revoked: bool
    testing: bool  # t=y
    strict_identity: bool  # t=s: i= must be exactly d=
    hash_algorithms: tuple[str, ...] | None  # h=, None = any
    service_types: tuple[str, ...]  # s=
    notes: str | None
    version: str | None
    public_key: Any = field(default=None, compare=False, repr=False)

    def allows_hash(self, hash_name: str) -> bool:
        return self.hash_algorithms is None or hash_name in self.hash_algorithms

    @property
    def for_email(self) -> bool:
        return "*" in self.service_types or "email" in self.service_types


def parse_key_record(text: str) -> DKIMKey:
    """Parse one DKIM key TXT record (RFC 6376 section 3.6.1) and load its key.

    Raises :class:`RecordSyntaxError` for a record that is not a usable DKIM key
    (bad syntax, wrong v=, unknown k=, undecodable p=, key over 16,384 bits).
    A key under 1024 bits parses (``bits`` tells); the verifier applies RFC 8301.
    """
    if len(text) > MAX_RECORD_CHARS:
        raise RecordSyntaxError(f"key record is {len(text)} characters long, more than {MAX_RECORD_CHARS}")
    try:
        tags = parse_tag_list(text)
    except TagListError as exc:
        raise RecordSyntaxError(f"key record: {exc}") from None
    version = tags.get("v")
    if version is not None and (version != "DKIM1" or tags.names[0] != "v"):
        raise RecordSyntaxError(f"key record: v={version[:20]!r} is not DKIM1 as the first tag")
    key_type = tags.get("k", "rsa") or ""
    if key_type not in KEY_TYPES:
        raise RecordSyntaxError(f"key record: unknown key type k={key_type[:30]!r}")
    hashes = tags.get("h")
    hash_algorithms = tuple(strip_fws(hashes).split(":")) if hashes is not None else None
    services = tuple(strip_fws(tags.get("s") or "*").split(":"))
    flags = tuple(strip_fws(tags.get("t") or "").split(":"))
    p = tags.get("p")
    if p is None:
        raise RecordSyntaxError("key record: p= is missing")
    p = strip_fws(p)
    public_key, bits = (None, None) if not p else load_public_key(key_type, p)
    return DKIMKey(
        text, key_type, bits, not p, "y" in flags, "s" in flags, hash_algorithms, services,
        tags.get("n"), version, public_key,
    )


@memo(1024)
def load_public_key(key_type: str, p: str) -> tuple[Any, int]:
    """Decode ``p=`` into a ``cryptography`` public key and its size in bits (cached by text).

    RSA keys are SubjectPublicKeyInfo DER (RFC 6376 section 3.6.1), PKCS#1
    RSAPublicKey is accepted too; Ed25519 keys are the raw 32 bytes (RFC 8463 section 4.2).
    """
    try:
        der = base64.b64decode(p, validate=True)
    except (binascii.Error, ValueError):
        raise RecordSyntaxError("key record: p= is not valid base64") from None
    if key_type == "ed25519":
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

        if len(der) != 32:
            raise RecordSyntaxError(f"key record: an Ed25519 key is 32 bytes, p= has {len(der)}")
        return Ed25519PublicKey.from_public_bytes(der), 256
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
    from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

    if len(der) > MAX_RSA_BITS // 8 + 64:
        raise RecordSyntaxError(f"key record: p= is {len(der)} bytes, larger than a {MAX_RSA_BITS}-bit key")
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        key = load_der_public_key(der)
    except (ValueError, TypeError, UnsupportedAlgorithm):  # the sender's DNS may name any algorithm
        pem = b"-----BEGIN RSA PUBLIC KEY-----\n" + base64.encodebytes(der) + b"-----END RSA PUBLIC KEY-----\n"
        try:
            key = load_pem_public_key(pem)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            raise RecordSyntaxError("key record: p= is not a valid RSA public key") from None
    if not isinstance(key, RSAPublicKey):
        raise RecordSyntaxError("key record: p= is not an RSA key although k=rsa")
    if key.key_size > MAX_RSA_BITS:
        raise RecordSyntaxError(f"key record: {key.key_size}-bit key, larger than {MAX_RSA_BITS} bits")
    return key, key.key_size


@dataclass(frozen=True)
class KeyLookup:
    """The outcome of fetching one selector: a key, or a result word and reason."""

    name: str
    key: DKIMKey | None
    result: str | None  # "permerror" / "temperror" when key is None
    reason: str | None


class KeyCache:
    """Selector lookups of one message, shared by its DKIM and ARC verifications.

    Concurrent requests for the same name share one DNS question.  With ``store``
    (the session's :class:`mailwarden.cache.Cache`) a key record is kept for its
    DNS TTL across messages, under ``("dkim-key", name)``; temporary failures
    are never kept.
    """

    def __init__(self, store: Cache | None = None) -> None:
        self._entries: dict[str, asyncio.Future[KeyLookup]] = {}
        self._store = store
        self.queries = 0

    async def get(self, resolver: Resolver, selector: str, domain: str) -> KeyLookup:
        name = f"{selector}._domainkey.{domain}".lower()
        future = self._entries.get(name)
        if future is not None and future.done():
            return future.result()  # a key seen before: no await, no shield
        if future is None:
            future = asyncio.get_running_loop().create_future()
            self._entries[name] = future
            try:
                future.set_result(await self._lookup(resolver, name))
            except BaseException as exc:
                del self._entries[name]
                future.set_exception(exc)
                raise
        return await asyncio.shield(future)

    async def _lookup(self, resolver: Resolver, name: str) -> KeyLookup:
        store = self._store
        if store is None:
            return (await self._fetch(resolver, name))[0]
        key = ("dkim-key", name)
        hit = store.get(key)
        if hit is not None:
            return hit
        lookup, ttl = await self._fetch(resolver, name)
        if lookup.result != "temperror":
            store.put(key, lookup, ttl or NEGATIVE_CACHE_TTL)
        return lookup

    async def _fetch(self, resolver: Resolver, name: str) -> tuple[KeyLookup, float]:
        """The lookup and how long DNS lets us keep it (RFC 6376 section 3.6.2.2)."""
        from mailwarden.dns.base import valid_query_name

        if not valid_query_name(name):
            return KeyLookup(name, None, "permerror", f"{name[:80]} is not a valid DNS name"), 0
        self.queries += 1
        answer = await resolver.query(name, "TXT")
        if answer.failed:
            return KeyLookup(name, None, "temperror", f"key lookup {name}: {answer.rcode.value}"), 0
        texts = answer.texts()
        if not texts:
            what = "does not exist (NXDOMAIN)" if answer.nxdomain else "has no TXT record"
            return KeyLookup(name, None, "permerror", f"key not found: {name} {what}"), answer.ttl
        first_error = None
        for text in texts:
            try:
                return KeyLookup(name, parse_key_record(text), None, None), answer.ttl
            except RecordSyntaxError as exc:
                first_error = first_error or str(exc)
        return KeyLookup(name, None, "permerror", f"{name}: {first_error}"), answer.ttl
