"""DKIM verification of every signature of a message (RFC 6376 section 6,
RFC 8301 key and algorithm rules, RFC 8463 Ed25519)."""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING

from mailwarden.dkim.canon import BodyHash, HeaderIndex, hash_body, header_hash_input
from mailwarden.dkim.crypto import verify_signature
from mailwarden.dkim.keys import MIN_RSA_BITS, DKIMKey, KeyCache
from mailwarden.dkim.results import DKIMSignatureResult
from mailwarden.dkim.signature import DKIMSignature, parse_dkim_signature, summarize
from mailwarden.errors import RecordSyntaxError
from mailwarden.message.model import Header, Message

if TYPE_CHECKING:
    from mailwarden.dns.base import Resolver

#: Signatures evaluated per message; the rest are reported, not fetched (bounded DNS work).
MAX_SIGNATURES = 32


class MessageContext:
    """Per-message state shared by every signature check (DKIM and ARC):
    the header index and the body hashes already computed."""

    def __init__(self, message: Message) -> None:
        self.message = message
        self.index = HeaderIndex(message.fields_by_name)
        self._bodies: dict[tuple[str, str, int | None], BodyHash] = {}

    def body_hash(self, canon: str, hash_name: str, limit: int | None) -> BodyHash:
        key = (canon, hash_name, limit)
        found = self._bodies.get(key)
        if found is None:
            found = self._bodies[key] = hash_body(self.message.body, canon, hash_name, limit)
        return found


def unsigned_instances(signed: tuple[str, ...], fields: dict[str, tuple[Header, ...]]) -> tuple[str, ...]:
    """Signed names with more instances in the message than ``h=`` covers (RFC 6376 section 8.15).

    ``h=`` selects instances from the bottom up (section 5.4.2), so an instance
    added on top - the one most readers display - is outside the signature.
    """
    counts: dict[str, int] = {}
    for name in signed:
        counts[name] = counts.get(name, 0) + 1
    return tuple(n for n, c in counts.items() if len(fields.get(n, ())) > c)


def check_key(key: DKIMKey, key_type: str, hash_name: str) -> str | None:
    """Why a fetched key cannot verify this signature (RFC 6376 section 6.1.2, RFC 8301), or None."""
    if key.revoked:
        return "key revoked (empty p=)"
    if key.key_type != key_type:
        return f"key type k={key.key_type} does not match the signature's {key_type}"
    if not key.allows_hash(hash_name):
        return f"key h= does not allow {hash_name}"
    if not key.for_email:
        return f"key service type s={':'.join(key.service_types)} excludes email"
    if key.key_type == "rsa" and (key.bits or 0) < MIN_RSA_BITS:
        return f"key too short: {key.bits} bits, fewer than {MIN_RSA_BITS} (RFC 8301)"
    return None


async def verify_message(
    resolver: Resolver,
    message: Message,
    *,
    now: float | None = None,
    key_cache: KeyCache | None = None,
    context: MessageContext | None = None,
) -> tuple[DKIMSignatureResult, ...]:
    """Verify every DKIM-Signature, topmost first (RFC 6376 section 6.1)."""
    now = time.time() if now is None else now
    cache = key_cache if key_cache is not None else KeyCache()
    ctx = context or MessageContext(message)
    fields = message.header_fields("DKIM-Signature")
    jobs = [verify_signature_field(resolver, f, ctx, now, cache) for f in fields[:MAX_SIGNATURES]]
    # one signature (the common case) is awaited directly: no task to schedule
    results = [await jobs[0]] if len(jobs) == 1 else list(await asyncio.gather(*jobs))
    for field in fields[MAX_SIGNATURES:]:
        s = summarize(field)
        results.append(DKIMSignatureResult(
            s.domain, s.selector, s.algorithm, "neutral",
            f"not evaluated: more than {MAX_SIGNATURES} signatures on the message", s.has_length, None,
            header_b=s.b_text[:16] if s.b_text else None, identity=s.identity,
        ))
    return tuple(results)


async def verify_signature_field(
    resolver: Resolver, field: Header, ctx: MessageContext, now: float, cache: KeyCache
) -> DKIMSignatureResult:
    """Verify one DKIM-Signature field."""
    try:
        sig = parse_dkim_signature(field)
    except RecordSyntaxError as exc:
        s = summarize(field)
        return DKIMSignatureResult(
            s.domain, s.selector, s.algorithm, "neutral", f"invalid signature: {exc}", s.has_length, None,
            header_b=s.b_text[:16] if s.b_text else None, identity=s.identity,
        )

    extra = unsigned_instances(sig.signed_headers, ctx.message.fields_by_name)

    def result(word: str, reason: str | None, key: DKIMKey | None = None, unsigned: int | None = None,
               ) -> DKIMSignatureResult:
        if word == "pass" and extra:
            note = "; ".join(f"{len(ctx.message.fields_by_name[n])} {n} fields, {sig.signed_headers.count(n)} "
                             "signed: the extra one is not covered" for n in extra)
            reason = f"{note}; {reason}" if reason else note
        return DKIMSignatureResult(
            sig.domain, sig.selector, sig.algorithm, word, reason, sig.length is not None,
            key.bits if key else None, header_b=sig.b_text[:16], identity=sig.identity,
            canonicalization=sig.canonicalization, signed_headers=sig.signed_headers,
            weak_algorithm=sig.hash_name == "sha1", key_type=key.key_type if key else None,
            key_testing=key.testing if key else False, unsigned_bytes_after_l=unsigned,
            timestamp=sig.timestamp, expiration=sig.expiration, unsigned_fields=extra,
        )

    if sig.expiration is not None and now > sig.expiration:
        return result("neutral", f"signature expired at x={sig.expiration}")
    lookup = await cache.get(resolver, sig.selector, sig.domain)
    key = lookup.key
    if key is None:
        return result(lookup.result or "permerror", lookup.reason)
    problem = check_key(key, sig.key_type, sig.hash_name)
    if problem is None and key.strict_identity and sig.identity.rpartition("@")[2] != sig.domain:
        problem = "key t=s requires i= in exactly d=, not a subdomain"
    if problem:
        return result("permerror", problem, key)
    return check_signature(sig, key, ctx, result)


def check_signature(sig: DKIMSignature, key: DKIMKey, ctx: MessageContext, result) -> DKIMSignatureResult:
    """Body hash, then header signature (RFC 6376 sections 6.1.3)."""
    body = ctx.body_hash(sig.body_canon, sig.hash_name, sig.length)
    unsigned = None
    if sig.length is not None:
        if body.canonical_length < sig.length:
            return result("fail", f"l={sig.length} is longer than the body ({body.canonical_length} bytes)", key)
        unsigned = body.canonical_length - sig.length
    if body.digest != sig.body_hash:
        return result("fail", "body hash mismatch (the body was modified)", key, unsigned)
    selected = ctx.index.select(sig.signed_headers)
    data = header_hash_input(selected, sig.header, sig.header_canon)
    if not verify_signature(key.public_key, sig.key_type, sig.hash_name, data, sig.signature):
        return result("fail", "signature did not verify (signed headers were modified)", key, unsigned)
    notes = []
    if unsigned:
        notes.append(f"l= leaves {unsigned} body bytes unsigned: anyone could have appended them")
    if key.testing:
        notes.append("the key is in testing mode (t=y)")
    if sig.hash_name == "sha1":
        notes.insert(0, "valid, but rsa-sha1 is not acceptable (RFC 8301 section 3.1)")
        return result("policy", "; ".join(notes), key, unsigned)
    return result("pass", "; ".join(notes) or None, key, unsigned)
