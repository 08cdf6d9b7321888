"""Static walk of a domain's SPF policy, without an IP (for the domain audit).

The walk follows every ``include`` and the ``redirect`` (only where the
record has no ``all``, as in RFC 7208 section 6.1) and counts DNS-querying
terms the way :mod:`mailwarden.spf.evaluate` counts them when every term is
evaluated (section 4.6.4): that is the worst case a receiver meets.  Terms
with macros depend on the message and are reported, not followed.  The walk
is bounded: at most :data:`MAX_RECORDS` records and :data:`MAX_DEPTH` levels.
"""

from __future__ import annotations

import ipaddress

from mailwarden.dns.base import Resolver
from mailwarden.spf.macros import truncate_domain
from mailwarden.spf.record import SPFRecord, is_spf_record, parse_record, select_record
from mailwarden.spf.results import Network, PolicyAnalysis, PolicyRecord

MAX_RECORDS = 60
MAX_DEPTH = 20


class _Walk:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self.lookups = 0
        self.void = 0
        self.records: list[PolicyRecord] = []
        self.loops: list[str] = []
        self.ptr: list[str] = []
        self.macros: list[str] = []
        self.networks: list[Network] = []
        self.mechanisms: list[tuple[str, str]] = []
        self.errors: list[str] = []

    async def fetch(self, domain: str, depth: int, via: str | None) -> SPFRecord | None:
        answer = await self.resolver.query(domain, "TXT")
        if answer.failed:
            self.records.append(PolicyRecord(domain, None, "temperror", f"DNS {answer.rcode.value}", depth, via))
            self.errors.append(f"{domain}: DNS {answer.rcode.value} looking up the SPF record")
            return None
        text, count = select_record(answer.texts()) if not answer.void else (None, 0)
        if count == 0:
            why = "does not exist" if answer.nxdomain else "has no SPF record"
            status = "none"
            if via and answer.void:  # the include/redirect's own query found nothing: a void lookup
                self.void += 1
                status = "void"
            self.records.append(PolicyRecord(domain, None, status, f"{domain} {why}", depth, via))
            if via:
                self.errors.append(f"{via} target {domain} {why} (a permerror for receivers)")
            return None
        if count > 1:
            texts = [t for t in answer.texts() if is_spf_record(t)]
            for t in texts:
                self.records.append(PolicyRecord(domain, t, "multiple", f"more than one SPF record ({count})",
                                                 depth, via))
            self.errors.append(f"{domain} publishes more than one SPF record (permerror): " + " | ".join(texts))
            return None
        assert text is not None
        record = parse_record(text)
        if record.error:
            self.records.append(PolicyRecord(domain, text, "syntax", record.error, depth, via))
            self.errors.append(f"{domain}: {record.error}")
            return None
        self.records.append(PolicyRecord(domain, text, "ok", None, depth, via))
        return record

    async def walk(self, domain: str, depth: int, via: str | None, stack: tuple[str, ...]) -> str | None:
        """Walk one record; returns the qualifier of its effective ``all`` (following redirect)."""
        if len(self.records) >= MAX_RECORDS or depth > MAX_DEPTH:
            self.errors.append(f"policy walk stopped at {domain}: more than {MAX_RECORDS} records or "
                               f"{MAX_DEPTH} levels")
            return None
        record = await self.fetch(domain, depth, via)
        if record is None:
            return None
        for mech in record.mechanisms:
            self.mechanisms.append((domain, mech.text))
            if mech.counts_lookup:
                self.lookups += 1
            if mech.kind == "ptr":
                self.ptr.append(domain)
            if mech.kind in ("ip4", "ip6"):
                bits = 32 if mech.version == 4 else 128
                net = ipaddress.ip_network((mech.network, mech.prefix), strict=False)
                self.networks.append(Network(domain, mech.text, str(net), mech.version, 2 ** (bits - mech.prefix)))
                continue
            if mech.kind == "all":
                continue
            if mech.domain is not None and mech.domain.literal is None:
                self.macros.append(f"{domain}: {mech.text}")
                continue
            target = truncate_domain(mech.domain.literal) if mech.domain is not None else domain
            if mech.kind == "include":
                await self.follow(target, depth, "include", stack)
            elif mech.kind in ("a", "mx", "exists") and await self.probe(mech.kind, mech.text, target):
                self.records.append(PolicyRecord(target, None, "void", f"{mech.text!r} in {domain}: {target} "
                                                 "does not exist or has no records", depth + 1, mech.kind))
        if record.redirect is None or record.all_mechanism is not None:
            all_mech = record.all_mechanism
            return all_mech.qualifier if all_mech is not None else None
        self.lookups += 1
        self.mechanisms.append((domain, "redirect=" + record.redirect.text))
        if record.redirect.literal is None:
            self.macros.append(f"{domain}: redirect={record.redirect.text}")
            return None
        return await self.follow(truncate_domain(record.redirect.literal), depth, "redirect", stack)

    async def follow(self, target: str, depth: int, via: str, stack: tuple[str, ...]) -> str | None:
        if target.lower() in stack:
            self.loops.append(" -> ".join([*stack, target.lower()]))
            return None
        return await self.walk(target, depth + 1, via, (*stack, target.lower()))

    async def probe(self, kind: str, term: str, target: str) -> bool:
        """Void lookups of a/mx/exists targets (section 4.6.4); MX count over 10."""
        if kind == "mx":
            answer = await self.resolver.query(target, "MX")
            if len(answer.mx()) > 10:
                self.errors.append(f"{term!r}: {target} has {len(answer.mx())} MX records, more than 10 (permerror)")
            void = answer.void
        elif kind == "exists":
            void = (await self.resolver.query(target, "A")).void
        else:
            void = (await self.resolver.query(target, "A")).void and (await self.resolver.query(target, "AAAA")).void
        if void:
            self.void += 1
        return void


async def analyze_policy(resolver: Resolver, domain: str) -> PolicyAnalysis:
    """Walk ``domain``'s SPF policy without an IP: lookups, voids, loops, ptr, all, networks."""
    domain = domain.strip().rstrip(".")
    walk = _Walk(resolver)
    all_qualifier = await walk.walk(domain, 0, None, (domain.lower(),))
    top = walk.records[0] if walk.records else PolicyRecord(domain, None, "none", "no record")
    problem = top.problem
    if top.status == "multiple":
        problem = "more than one SPF record: " + " | ".join(r.record or "" for r in walk.records
                                                            if r.depth == 0 and r.status == "multiple")
    if walk.lookups > 10:
        walk.errors.append(f"{walk.lookups} DNS-querying terms, more than 10 (permerror for receivers)")
    if walk.void > 2:
        walk.errors.append(f"{walk.void} void lookups, more than 2 (permerror for receivers)")
    for loop in walk.loops:
        walk.errors.append(f"include/redirect loop: {loop}")
    return PolicyAnalysis(
        domain=domain, record=top.record, status=top.status, problem=problem, lookups=walk.lookups,
        void_lookups=walk.void, records=tuple(walk.records), loops=tuple(walk.loops),
        uses_ptr=tuple(dict.fromkeys(walk.ptr)), macro_terms=tuple(walk.macros), all_qualifier=all_qualifier,
        networks=tuple(walk.networks), mechanisms=tuple(walk.mechanisms), errors=tuple(walk.errors),
    )
