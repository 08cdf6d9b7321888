""""Who sends mail as my domain": summary, sources and daily volume from the store.

The service API that the CLI and the web dashboard share::

    from mailwarden.reports import analysis
    result = analysis.summary(store, domain="example.com", since=date(2024, 1, 1))
    result.to_json()                          # == `mailwarden reports summary --json`
    analysis.sources(store, bucket="unauthorized").to_json()
    analysis.volume(store, domain="example.com")   # {domain: (DayVolume, ...)}

Reverse DNS is optional: look the addresses up first with
``await analysis.reverse_names(resolver, analysis.source_ips(traffic))`` and pass the
result as ``names=``; without it sources are recognised only by the DKIM/SPF
domains they authenticated as.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence

from mailwarden.dns.base import Resolver
from mailwarden.psl import psl_organizational_domain
from mailwarden.reports.analysis import queries
from mailwarden.reports.analysis.buckets import BUCKETS, Bucket, Traffic, classify
from mailwarden.reports.analysis.geoip import GeoIP
from mailwarden.reports.analysis.providers import ProviderMap, default_map
from mailwarden.reports.analysis.queries import Window
from mailwarden.reports.analysis.rdns import ReverseLookup, ReverseName
from mailwarden.reports.analysis.results import (
    BucketTotal,
    DayVolume,
    DomainSummary,
    Readiness,
    RejectedInput,
    Source,
    SourceList,
    Summary,
)
from mailwarden.reports.store import Store

#: Share of legitimate mail that must be aligned before the next policy step is advised.
READY_SHARE = 0.98
#: Days of reports needed before advising a policy step.
READY_DAYS = 7
#: Sources per bucket shown in a summary.
TOP_PER_BUCKET = 5


def window(domain: str | None = None, since: dt.date | None = None, until: dt.date | None = None) -> Window:
    return Window(domain.lower().rstrip(".") if domain else None, since, until)


def load_traffic(store: Store, win: Window) -> list[Traffic]:
    """The grouped traffic of a window (one query; pass it to several analyses)."""
    return list(queries.traffic(store, win))


def source_ips(traffic: Iterable[Traffic], limit: int | None = None) -> list[str]:
    """Addresses by message volume, most first (what is worth a reverse lookup)."""
    volume: dict[str, int] = defaultdict(int)
    for item in traffic:
        volume[item.source_ip] += item.messages
    ordered = sorted(volume, key=lambda ip: (-volume[ip], ip))
    return ordered if limit is None else ordered[:limit]


async def reverse_names(resolver: Resolver, ips: Sequence[str]) -> dict[str, ReverseName]:
    """Forward-confirmed reverse names of ``ips`` through ``resolver`` (concurrent, each once)."""
    return await ReverseLookup(resolver).names(ips)


def build_sources(
    traffic: Iterable[Traffic],
    *,
    names: Mapping[str, ReverseName] | None = None,
    geoip: GeoIP | None = None,
    providers: ProviderMap | None = None,
) -> list[Source]:
    """Classify every (domain, address) into its bucket; most messages first."""
    providers = providers or default_map()
    names = names or {}
    grouped: dict[tuple[str, str], list[Traffic]] = defaultdict(list)
    for item in traffic:
        grouped[(item.domain, item.source_ip)].append(item)
    sources: list[Source] = []
    host_cache: dict[str, object] = {}
    for (domain, ip), items in grouped.items():
        reverse = names.get(ip)
        host = reverse.name if reverse is not None and reverse.confirmed else None
        if host not in host_cache:
            host_cache[host] = providers.lookup(host) if host else None
        host_provider = host_cache[host]
        by_bucket: dict[Bucket, int] = defaultdict(int)
        biggest: dict[Bucket, tuple[int, str]] = {}
        provider = host_provider
        auth_domains: dict[str, int] = defaultdict(int)
        for item in items:
            verdict = classify(item, host_provider, providers)  # type: ignore[arg-type]
            by_bucket[verdict.bucket] += item.messages
            if verdict.bucket not in biggest or item.messages > biggest[verdict.bucket][0]:
                biggest[verdict.bucket] = (item.messages, verdict.reason)
            provider = provider or verdict.provider
            for auth_domain, result in ((item.dkim_domain, item.dkim_result), (item.spf_domain, item.spf_result)):
                if auth_domain and result == "pass":
                    auth_domains[auth_domain] += item.messages
        # The bucket with the most messages; on a tie the less trusted one (never vouch on a tie).
        bucket = max(reversed(BUCKETS), key=lambda b: by_bucket.get(b, -1))
        messages = sum(item.messages for item in items)
        sources.append(Source(
            domain=domain,
            ip=ip,
            messages=messages,
            passed=sum(item.messages for item in items if item.passed),
            bucket=bucket,
            reason=biggest[bucket][1],
            by_bucket=tuple((b, by_bucket[b]) for b in BUCKETS if by_bucket.get(b)),
            reverse=reverse,
            org_domain=psl_organizational_domain(host) if host else None,
            provider=provider,  # type: ignore[arg-type]
            auth_domains=tuple(sorted(auth_domains, key=lambda d: (-auth_domains[d], d))[:3]),
            geo=geoip.lookup(ip) if geoip is not None else None,
        ))
    sources.sort(key=lambda s: (-s.messages, s.domain, s.ip))
    return sources


def sources(
    store: Store,
    *,
    domain: str | None = None,
    bucket: Bucket | str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    names: Mapping[str, ReverseName] | None = None,
    geoip: GeoIP | None = None,
    limit: int | None = None,
    traffic: Sequence[Traffic] | None = None,
) -> SourceList:
    """Every sending source in the window (optionally one bucket), most messages first."""
    win = window(domain, since, until)
    wanted = Bucket(bucket) if bucket else None
    items = traffic if traffic is not None else load_traffic(store, win)
    found = [s for s in build_sources(items, names=names, geoip=geoip) if wanted is None or s.bucket is wanted]
    shown = found if limit is None else found[:limit]
    return SourceList(win, wanted, tuple(shown), len(found), names is not None)


def volume(
    store: Store, *, domain: str | None = None, since: dt.date | None = None, until: dt.date | None = None
) -> dict[str, tuple[DayVolume, ...]]:
    """Per domain, messages and DMARC passes per day (for charts)."""
    series: dict[str, list[DayVolume]] = defaultdict(list)
    for name, day, messages, passed in queries.daily(store, window(domain, since, until)):
        series[name].append(DayVolume(day, messages, passed))
    return {name: tuple(days) for name, days in series.items()}


def summary(
    store: Store,
    *,
    domain: str | None = None,
    since: dt.date | None = None,
    until: dt.date | None = None,
    names: Mapping[str, ReverseName] | None = None,
    geoip: GeoIP | None = None,
    traffic: Sequence[Traffic] | None = None,
) -> Summary:
    """Per domain: volume and pass rate over time, the four buckets, top sources, readiness."""
    win = window(domain, since, until)
    items = traffic if traffic is not None else load_traffic(store, win)
    per_domain: dict[str, list[Source]] = defaultdict(list)
    for source in build_sources(items, names=names, geoip=geoip):
        per_domain[source.domain].append(source)
    series = volume(store, domain=win.domain, since=since, until=until)
    facts = queries.report_facts(store, win)
    domains = tuple(
        _domain_summary(name, per_domain[name], series.get(name, ()), facts.get(name, {}))
        for name in sorted(per_domain, key=lambda d: (-sum(s.messages for s in per_domain[d]), d))
    )
    total, rejected = queries.rejected(store)
    return Summary(
        window=win,
        domains=domains,
        report_counts=tuple(sorted(queries.kind_counts(store, win).items())),
        rejected_total=total,
        rejected=tuple(RejectedInput(*row) for row in rejected),
        reverse_dns=names is not None,
    )


def _domain_summary(
    domain: str, found: list[Source], series: tuple[DayVolume, ...], facts: Mapping[str, object]
) -> DomainSummary:
    totals = {b: [0, 0] for b in BUCKETS}
    for source in found:
        for bucket, count in source.by_bucket:
            totals[bucket][0] += count
        totals[source.bucket][1] += 1
    top: list[Source] = []
    for bucket in BUCKETS:
        top.extend([s for s in found if s.bucket is bucket][:TOP_PER_BUCKET])
    messages = sum(s.messages for s in found)
    return DomainSummary(
        domain=domain,
        messages=messages,
        passed=sum(s.passed for s in found),
        reports=int(facts.get("reports") or 0),  # type: ignore[call-overload]
        reporters=int(facts.get("reporters") or 0),  # type: ignore[call-overload]
        first_day=series[0].day if series else None,
        last_day=series[-1].day if series else None,
        buckets=tuple(BucketTotal(b, totals[b][0], totals[b][1]) for b in BUCKETS),
        top_sources=tuple(top),
        series=series,
        readiness=readiness(found, totals, len(series), facts.get("policy"), facts.get("pct")),  # type: ignore[arg-type]
    )


def next_step(policy: str | None, pct: int | None) -> str | None:
    """The next DMARC policy step (RFC 7489 section 6.3 ``p=`` and ``pct=``); ``None`` at full reject."""
    full = pct is None or pct >= 100
    if policy in (None, "", "none"):
        return "p=quarantine"
    if policy == "quarantine":
        return "p=reject" if full else "p=quarantine pct=100"
    if policy == "reject" and not full:
        return "p=reject pct=100"
    return None


def readiness(
    found: list[Source], totals: Mapping[Bucket, list[int]], days: int, policy: str | None, pct: int | None
) -> Readiness:
    """Is the aligned share of legitimate mail high enough for :func:`next_step`?"""
    authorized = totals[Bucket.AUTHORIZED][0]
    legitimate = authorized + totals[Bucket.FORWARDED][0] + totals[Bucket.MISCONFIGURED][0]
    share = round(authorized / legitimate, 4) if legitimate else None
    blocked = tuple(s for s in found if s.bucket is Bucket.MISCONFIGURED)
    step = next_step(policy, pct)
    if step is None:
        ready, reason = False, "already at p=reject for all mail: keep an eye on new unauthorized sources"
    elif not legitimate:
        ready, reason = False, "no legitimate mail seen yet: wait for reports about your own mail"
    elif days < READY_DAYS:
        ready, reason = False, f"only {days} day(s) of reports: wait for at least {READY_DAYS}"
    elif share is not None and share >= READY_SHARE:
        ready = True
        reason = f"{share:.1%} of your legitimate mail is aligned"
        if blocked:
            reason += f"; fix {len(blocked)} misconfigured source(s) first to lose nothing"
    else:
        ready = False
        reason = (f"only {share:.1%} of your legitimate mail is aligned (needs {READY_SHARE:.0%}): "
                  f"{len(blocked)} misconfigured source(s) would be blocked")
    return Readiness(policy, pct, step, ready, share, legitimate, days, blocked, reason)
