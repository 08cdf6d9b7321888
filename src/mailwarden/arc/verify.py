"""ARC chain validation (RFC 8617 section 5.2) on the DKIM machinery."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from mailwarden.arc.headers import ArcMessageSignature, ArcSeal, ArcSet, aar_results, collect_sets
from mailwarden.arc.results import ArcInstanceResult, ARCResult, ArcSignatureCheck
from mailwarden.dkim.canon import header_hash_input, relaxed_header
from mailwarden.dkim.crypto import verify_signature
from mailwarden.dkim.keys import KeyCache
from mailwarden.dkim.verify import MessageContext, check_key
from mailwarden.message.model import Message

if TYPE_CHECKING:
    from mailwarden.dns.base import Resolver


def seal_hash_input(sets: Sequence[ArcSet]) -> bytes:
    """What the ARC-Seal of the last set signs (section 5.1.1): every set up to it,
    AAR, AMS, AS in instance order, relaxed; the last AS with b= empty, no final CRLF."""
    parts = []
    for s in sets[:-1]:
        parts += [relaxed_header(s.aar), relaxed_header(s.ams.header), relaxed_header(s.seal.header)]
    last = sets[-1]
    parts += [relaxed_header(last.aar), relaxed_header(last.ams.header)]
    return header_hash_input_for_seal(b"".join(parts), last.seal)


def header_hash_input_for_seal(prefix: bytes, seal: ArcSeal) -> bytes:
    return prefix + header_hash_input((), seal.header, "relaxed")


async def _key_check(resolver: Resolver, cache: KeyCache, sig: ArcSeal | ArcMessageSignature, data: bytes,
                     ) -> ArcSignatureCheck:
    lookup = await cache.get(resolver, sig.selector, sig.domain)
    key = lookup.key
    if key is None:
        return ArcSignatureCheck(sig.domain, sig.selector, lookup.result or "permerror", lookup.reason)
    problem = check_key(key, sig.key_type, sig.hash_name)
    if problem:
        return ArcSignatureCheck(sig.domain, sig.selector, "permerror", problem, key.bits)
    if not verify_signature(key.public_key, sig.key_type, sig.hash_name, data, sig.signature):
        return ArcSignatureCheck(sig.domain, sig.selector, "fail", "signature did not verify", key.bits)
    return ArcSignatureCheck(sig.domain, sig.selector, "pass", None, key.bits)


async def check_ams(resolver: Resolver, cache: KeyCache, ctx: MessageContext, ams: ArcMessageSignature,
                    ) -> ArcSignatureCheck:
    """One ARC-Message-Signature, verified like a DKIM signature (section 5.2 step 4)."""
    body = ctx.body_hash(ams.body_canon, ams.hash_name, None)
    if body.digest != ams.body_hash:
        return ArcSignatureCheck(ams.domain, ams.selector, "fail", "body hash mismatch (the body was modified)")
    data = header_hash_input(ctx.index.select(ams.signed_headers), ams.header, ams.header_canon)
    return await _key_check(resolver, cache, ams, data)


async def verify_chain(
    resolver: Resolver,
    message: Message,
    now: float | None = None,
    *,
    key_cache: KeyCache | None = None,
    context: MessageContext | None = None,
) -> ARCResult:
    """Validate the ARC chain of ``message`` (RFC 8617 section 5.2).

    ``now`` is accepted for symmetry with DKIM; ARC signatures carry no expiry.
    """
    structure = collect_sets(message)
    if not structure.present:
        return ARCResult("none", 0)
    if structure.error:
        return ARCResult("fail", len(structure.sets), structure.failed_instance, structure.error)
    sets = structure.sets
    count = len(sets)
    latest = sets[-1]
    if latest.seal.cv == "fail":
        return ARCResult("fail", count, count, f"the latest ARC-Seal (i={count}) records cv=fail")
    for s in sets:
        want = "none" if s.instance == 1 else "pass"
        if s.seal.cv != want:
            return ARCResult("fail", count, s.instance,
                             f"ARC-Seal i={s.instance} has cv={s.seal.cv}, expected cv={want}")
    cache = key_cache if key_cache is not None else KeyCache()
    ctx = context or MessageContext(message)
    ams_checks, seal_checks = await asyncio.gather(
        asyncio.gather(*(check_ams(resolver, cache, ctx, s.ams) for s in sets)),
        asyncio.gather(*(_key_check(resolver, cache, s.seal, seal_hash_input(sets[: s.instance])) for s in sets)),
    )
    evidence = tuple(
        ArcInstanceResult(s.instance, s.seal.cv, seal, ams, aar_results(s.aar))
        for s, seal, ams in zip(sets, seal_checks, ams_checks, strict=True)
    )
    last_ams = ams_checks[-1]
    if last_ams.result != "pass":
        return ARCResult("fail", count, count,
                         f"ARC-Message-Signature i={count} ({last_ams.domain}): {last_ams.result}, {last_ams.reason}",
                         sets=evidence)
    for s, seal in zip(reversed(sets), reversed(seal_checks), strict=True):
        if seal.result != "pass":
            return ARCResult("fail", count, s.instance,
                             f"ARC-Seal i={s.instance} ({seal.domain}): {seal.result}, {seal.reason}", sets=evidence)
    oldest = 0
    for s, ams in zip(reversed(sets), reversed(ams_checks), strict=True):
        if ams.result != "pass":
            oldest = s.instance + 1
            break
    return ARCResult("pass", count, None, None, oldest, evidence)
