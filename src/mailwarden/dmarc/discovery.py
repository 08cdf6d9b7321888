"""DMARC policy discovery and Organizational Domains.

* ``rfc9989`` (default): the DNS Tree Walk of RFC 9989 section 4.10: query
  ``_dmarc.<domain>``, then parents; a name with eight or more labels jumps
  to seven labels, so at most eight queries are made.  The first DMARC record
  found is the policy record.  The Organizational Domain (section 4.10.2)
  is where a record says ``psd=n``, or one label below a record that says
  ``psd=y``, or else the domain with the fewest labels that has a record.
* ``rfc7489``: ``_dmarc.<domain>``, then ``_dmarc.<Organizational Domain>``
  from the Public Suffix List (RFC 7489 sections 3.2 and 6.6.3).

Non-existent domains (for ``np``, RFC 9989 section 4.7) follow RFC 8020:
the name is NXDOMAIN.

A :class:`LookupCache` shared by one evaluation makes each ``_dmarc`` name
be asked once, however many alignment checks need it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mailwarden.dmarc.record import MODES, DMARCRecord, is_dmarc_record, parse_dmarc_record
from mailwarden.dns.base import normalize_name, valid_query_name

if TYPE_CHECKING:
    from mailwarden.cache import Cache
    from mailwarden.dns.base import Resolver
    from mailwarden.psl import SuffixList

#: RFC 9989 section 4.10: a tree walk never needs more than eight queries.
MAX_TREE_WALK_QUERIES = 8


@dataclass(frozen=True)
class Lookup:
    """The outcome of asking for ``_dmarc.<domain>``."""

    domain: str
    status: str  # "record", "none", "multiple", "temperror"
    record: DMARCRecord | None = None
    texts: tuple[str, ...] = ()  # the DMARC records (v=DMARC1 ...) found
    detail: str | None = None


#: How long a DMARC answer is kept in the session cache when DNS gave no TTL (a snapshot).
NEGATIVE_CACHE_TTL = 60


@dataclass
class LookupCache:
    """Per-evaluation memo of ``_dmarc`` look-ups and existence checks (keeps the query count honest).

    With ``store`` (the session's :class:`mailwarden.cache.Cache`) answers are also
    kept across messages for their DNS TTL, under ``("dmarc", domain)`` and
    ``("exists", domain)``; DNS failures are never kept.  ``queries`` lists the
    questions this evaluation actually asked.
    """

    store: Cache | None = None
    lookups: dict[str, Lookup] = field(default_factory=dict)
    exists: dict[str, bool | None] = field(default_factory=dict)
    queries: list[str] = field(default_factory=list)

    async def lookup(self, resolver: Resolver, domain: str) -> Lookup:
        if domain in self.lookups:
            return self.lookups[domain]
        store = self.store
        result = store.get(("dmarc", domain)) if store is not None else None
        if result is None:
            result, ttl = await self._fetch(resolver, domain)
            if store is not None and result.status != "temperror":
                store.put(("dmarc", domain), result, ttl or NEGATIVE_CACHE_TTL)
        self.lookups[domain] = result
        return result

    async def _fetch(self, resolver: Resolver, domain: str) -> tuple[Lookup, float]:
        name = f"_dmarc.{domain}"
        self.queries.append(f"{name} TXT")
        answer = await resolver.query(name, "TXT")
        if answer.failed:
            return Lookup(domain, "temperror", detail=f"{name}: {answer.rcode.value}"), 0
        texts = tuple(t for t in answer.texts() if is_dmarc_record(t))
        if not texts:
            return Lookup(domain, "none"), answer.ttl
        if len(texts) > 1:
            return Lookup(domain, "multiple", texts=texts, detail=f"{name}: {len(texts)} DMARC records"), answer.ttl
        return Lookup(domain, "record", parse_dmarc_record(texts[0]), texts), answer.ttl

    async def domain_exists(self, resolver: Resolver, domain: str) -> bool | None:
        """False for NXDOMAIN (RFC 8020), True otherwise, None when DNS failed."""
        if domain in self.exists:
            return self.exists[domain]
        store = self.store
        known = store.get(("exists", domain)) if store is not None else None
        if known is None:
            self.queries.append(f"{domain} A")
            answer = await resolver.query(domain, "A")
            known = None if answer.failed else not answer.nxdomain
            if store is not None and known is not None:
                store.put(("exists", domain), known, answer.ttl or NEGATIVE_CACHE_TTL)
        self.exists[domain] = known
        return known


@dataclass(frozen=True)
class PolicyDiscovery:
    """Where the DMARC policy for ``domain`` comes from (RFC 9989 section 4.10)."""

    domain: str
    mode: str
    status: str  # "found", "none", "temperror", "permerror"
    record: DMARCRecord | None
    record_text: str | None
    record_domain: str | None  # the domain whose _dmarc record applies
    via: str | None  # "domain", "tree-walk", "organizational-domain"
    organizational_domain: str | None
    queries: tuple[str, ...]
    errors: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return self.record is not None

    @property
    def at_domain(self) -> bool:
        return self.record_domain == self.domain


def tree_walk_targets(domain: str) -> list[str]:
    """The names a RFC 9989 tree walk asks about, in order (at most eight)."""
    labels = domain.split(".")
    targets = [domain]
    count = len(labels)
    nxt = min(count - 1, MAX_TREE_WALK_QUERIES - 1)
    while nxt >= 1:
        targets.append(".".join(labels[-nxt:]))
        nxt -= 1
    return targets


def normalize_domain(domain: str) -> str | None:
    """A-label, lower-case form usable in a DNS question, or None."""
    name = normalize_name(domain)
    return name if valid_query_name(name) and not name.startswith("[") else None


async def tree_walk_organizational_domain(resolver: Resolver, domain: str, lookups: LookupCache) -> str:
    """The Organizational Domain of ``domain`` by the DNS tree walk (RFC 9989 section 4.10.2).

    The RFC 7489 way is :func:`mailwarden.psl.psl_organizational_domain`; alignment picks
    one by mode (:mod:`mailwarden.dmarc.alignment`).
    """
    targets = tree_walk_targets(domain)
    fewest: str | None = None
    for index, target in enumerate(targets):
        found = await lookups.lookup(resolver, target)
        if found.status != "record" or found.record is None or not found.record.valid:
            continue
        if found.record.psd == "n":
            return target
        if found.record.psd == "y":
            return _one_below(domain, target) if index else domain
        fewest = target
    return fewest or domain


def _one_below(domain: str, parent: str) -> str:
    """The name one label below ``parent`` on the way to ``domain``."""
    labels = domain.split(".")
    return ".".join(labels[-(len(parent.split(".")) + 1):])


async def discover_policy(resolver: Resolver, domain: str, mode: str = "rfc9989", *,
                          suffixes: SuffixList | None = None,
                          cache: LookupCache | None = None) -> PolicyDiscovery:
    """Find the DMARC policy record for ``domain`` and its Organizational Domain."""
    if mode not in MODES:
        raise ValueError(f"unknown DMARC mode {mode!r} (expected {' or '.join(MODES)})")
    cache = cache if cache is not None else LookupCache()
    start = len(cache.queries)
    name = normalize_domain(domain)
    if name is None:
        return PolicyDiscovery(domain, mode, "permerror", None, None, None, None, None, (),
                               (f"{domain[:80]!r} is not a valid domain name",))

    def done(status: str, lookup: Lookup | None, via: str | None, org: str | None,
             errors: tuple[str, ...] = ()) -> PolicyDiscovery:
        record = lookup.record if lookup is not None and status in ("found", "permerror") else None
        return PolicyDiscovery(
            domain=name, mode=mode, status=status, record=record,
            record_text=lookup.texts[0] if lookup is not None and lookup.texts else None,
            record_domain=lookup.domain if lookup is not None and lookup.status != "none" else None,
            via=via, organizational_domain=org, queries=tuple(cache.queries[start:]), errors=errors,
        )

    if mode == "rfc7489":
        from mailwarden.psl import psl_organizational_domain

        org = psl_organizational_domain(name, suffixes) or name
        targets = [(name, "domain")] + ([(org, "organizational-domain")] if org != name else [])
    else:
        org = None
        targets = [(t, "domain" if i == 0 else "tree-walk") for i, t in enumerate(tree_walk_targets(name))]

    chosen: tuple[Lookup, str] | None = None
    for target, via in targets:
        found = await cache.lookup(resolver, target)
        if found.status == "none":
            continue
        chosen = (found, via)
        break

    if mode == "rfc9989":
        org = await tree_walk_organizational_domain(resolver, name, cache)
    if chosen is None:
        return done("none", None, None, org)
    found, via = chosen
    if found.status == "temperror":
        return done("temperror", found, via, org, (found.detail or "DNS failure",))
    if found.status == "multiple":
        return done("permerror", found, via, org, (found.detail or "several DMARC records",))
    assert found.record is not None
    if not found.record.valid:
        return done("permerror", found, via, org, tuple(str(e) for e in found.record.errors))
    return done("found", found, via, org)
