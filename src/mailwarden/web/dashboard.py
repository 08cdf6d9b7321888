"""The reports dashboard's data: "who sends mail as my domain" (SPEC sections 12 and 13).

Everything comes from the reports analysis service
(:mod:`mailwarden.reports.analysis`); this module only picks the domain and the
window from the query string, and sorts, filters and pages the sender inventory
on the server, so the page works without JavaScript.  Query parameters are
attacker-controlled too: unknown values fall back to the defaults.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from mailwarden.errors import InputError
from mailwarden.web.charts import BucketChart, VolumeChart, bucket_chart, volume_chart

PAGE_SIZE = 50
#: Most addresses given a reverse DNS lookup per page view (the biggest senders first).
REVERSE_LOOKUPS = 200
TOP_UNAUTHORIZED = 10
SORTS = ("messages", "ip", "host", "provider", "bucket", "pass_rate")
BUCKET_ORDER = {"authorized": 0, "forwarded": 1, "misconfigured": 2, "unauthorized": 3}


@dataclass(frozen=True)
class View:
    """What the visitor asked for (``/reports?domain=...&since=...&bucket=...&q=...&sort=...&page=...``)."""

    domain: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None
    bucket: str | None = None
    q: str = ""
    sort: str = "messages"
    desc: bool = True
    page: int = 1

    @classmethod
    def from_query(cls, params: Mapping[str, str]) -> View:
        """Read the query string; a malformed date is an :class:`InputError`, anything else unknown is ignored."""
        domain = (params.get("domain") or "").strip().lower().rstrip(".")[:255] or None
        bucket = params.get("bucket") if params.get("bucket") in BUCKET_ORDER else None
        sort = params.get("sort") if params.get("sort") in SORTS else "messages"
        default_desc = sort in ("messages", "pass_rate", "bucket")
        desc = {"asc": False, "desc": True}.get(params.get("dir", ""), default_desc)
        try:
            page = max(1, min(int(params.get("page") or 1), 1_000_000))
        except ValueError:
            page = 1
        return cls(domain, _date(params.get("since"), "since"), _date(params.get("until"), "until"), bucket,
                   (params.get("q") or "").strip()[:100], sort, desc, page)

    def params(self, **changes: Any) -> dict[str, str]:
        view = replace(self, **changes)
        out = {"domain": view.domain or "", "since": view.since.isoformat() if view.since else "",
               "until": view.until.isoformat() if view.until else "", "bucket": view.bucket or "", "q": view.q,
               "sort": view.sort if view.sort != "messages" else "", "dir": "" if view.desc == (
                   view.sort in ("messages", "pass_rate", "bucket")) else ("desc" if view.desc else "asc"),
               "page": str(view.page) if view.page > 1 else ""}
        return {k: v for k, v in out.items() if v}

    def url(self, **changes: Any) -> str:
        """A link to this view with some parameters changed (the page resets unless given)."""
        changes.setdefault("page", 1)
        query = urlencode(self.params(**changes))
        return "/reports" + (f"?{query}" if query else "")

    def sort_url(self, key: str) -> str:
        desc = not self.desc if key == self.sort else key in ("messages", "pass_rate", "bucket")
        return self.url(sort=key, desc=desc)


def _date(text: str | None, what: str) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.strip()[:10])
    except ValueError:
        raise InputError(f"{what} must be a date like 2026-01-31") from None


@dataclass(frozen=True)
class Dashboard:
    view: View
    domains: tuple[tuple[str, int], ...]
    summary: Any  # DomainSummary | None
    volume: VolumeChart | None
    buckets: BucketChart | None
    #: The same charts drawn for a phone-sized screen (the stylesheet shows one or the other).
    volume_narrow: VolumeChart | None
    buckets_narrow: BucketChart | None
    unauthorized: tuple[Any, ...]
    rows: tuple[Any, ...]  # Source, this page of the inventory
    matching: int
    total_sources: int
    pages: int
    reverse_dns: bool
    rejected_total: int


@dataclass(frozen=True)
class _Analysis:
    """The expensive part of a page: one domain and window, before filtering, sorting and paging."""

    summary: Any  # DomainSummary | None
    sources: tuple[Any, ...]
    reverse_dns: bool
    rejected_total: int


class AnalysisCache:
    """Analyses kept while the store holds the same reports (a new ingest starts afresh) and for at most
    ``max_age`` seconds, so sorting, filtering and paging the inventory do not run the analysis again."""

    def __init__(self, entries: int = 32, max_age: float = 300.0) -> None:
        self.entries = entries
        self.max_age = max_age
        self._items: dict[Any, tuple[float, Any, Any]] = {}
        self._lock = threading.Lock()

    def get(self, key: Any, version: Any) -> Any:
        with self._lock:
            found = self._items.get(key)
        if found is None or found[1] != version or time.monotonic() - found[0] > self.max_age:
            return None
        return found[2]

    def put(self, key: Any, version: Any, value: Any) -> None:
        with self._lock:
            if len(self._items) >= self.entries:
                self._items.pop(next(iter(self._items)))
            self._items[key] = (time.monotonic(), version, value)


def build(store: Any, view: View, *, dns: Any = None, nameserver: str | None = None,
          reverse_dns: bool = True, cache: AnalysisCache | None = None) -> Dashboard:
    """Everything the dashboard shows for ``view`` (synchronous: the app runs it in a worker thread)."""
    from mailwarden.reports import analysis
    from mailwarden.reports.analysis import queries

    version = tuple(sorted(queries.kind_counts(store, analysis.window()).items()))  # what the store holds
    facts = queries.report_facts(store, analysis.window(None, view.since, view.until))
    domains = tuple(sorted(((d, int(f.get("reports") or 0)) for d, f in facts.items() if d),
                           key=lambda item: (-item[1], item[0])))
    known = {d for d, _ in domains}
    domain = view.domain if view.domain in known else (domains[0][0] if domains and not view.domain else None)
    view = replace(view, domain=domain or view.domain)
    if domain is None:
        return Dashboard(view, domains, None, None, None, None, None, (), (), 0, 0, 1, False, 0)
    key = (domain, view.since, view.until, reverse_dns)
    done = cache.get(key, version) if cache is not None else None
    if done is None:
        done = _analyse(analysis, store, domain, view, dns, nameserver, reverse_dns)
        if cache is not None:
            cache.put(key, version, done)
    found, every = done.summary, done.sources
    chosen = [s for s in every if (view.bucket is None or s.bucket.value == view.bucket) and _matches(s, view.q)]
    chosen.sort(key=_sort_key(view.sort), reverse=view.desc)
    pages = max(1, -(-len(chosen) // PAGE_SIZE))
    page = min(view.page, pages)
    view = replace(view, page=page)
    rows = tuple(chosen[(page - 1) * PAGE_SIZE: page * PAGE_SIZE])
    unauthorized = tuple(s for s in every if s.bucket.value == "unauthorized")[:TOP_UNAUTHORIZED]
    totals = [(b.bucket.value, b.messages, b.sources) for b in found.buckets] if found else []
    charts = (volume_chart(found.series), bucket_chart(totals),
              volume_chart(found.series, width=360, height=220, max_bars=40),
              bucket_chart(totals, width=360, label_width=160)) if found else (None, None, None, None)
    return Dashboard(view, domains, found, *charts, unauthorized, rows, len(chosen), len(every), pages,
                     done.reverse_dns, done.rejected_total)


def _analyse(analysis: Any, store: Any, domain: str, view: View, dns: Any, nameserver: str | None,
             reverse_dns: bool) -> _Analysis:
    """One traffic query shared by the summary and the sender inventory."""
    traffic = analysis.load_traffic(store, analysis.window(domain, view.since, view.until))
    names = _reverse_names(analysis, traffic, dns, nameserver) if reverse_dns else None
    summary = analysis.summary(store, domain=domain, since=view.since, until=view.until, names=names,
                               traffic=traffic)
    listing = analysis.sources(store, domain=domain, since=view.since, until=view.until, names=names,
                               traffic=traffic)
    return _Analysis(summary.domains[0] if summary.domains else None, listing.sources, names is not None,
                     summary.rejected_total)


def _reverse_names(analysis: Any, traffic: list[Any], dns: Any, nameserver: str | None) -> dict[str, Any]:
    from mailwarden.dns import make_resolver

    ips = analysis.source_ips(traffic, limit=REVERSE_LOOKUPS)
    resolver = make_resolver(dns, nameserver if dns is None else None, timeout=2.0, deadline=8.0)

    async def job() -> dict[str, Any]:
        try:
            return await analysis.reverse_names(resolver, ips)
        finally:
            if resolver is not dns:
                await resolver.aclose()

    return asyncio.run(job())


def host_of(source: Any) -> str:
    reverse = source.reverse
    return reverse.name if reverse is not None and reverse.name else ""


def _matches(source: Any, q: str) -> bool:
    if not q:
        return True
    q = q.lower()
    fields = [source.ip, host_of(source), source.org_domain or "", source.reason,
              source.provider.name if source.provider else "", *source.auth_domains]
    return any(q in f.lower() for f in fields if f)


def _sort_key(sort: str) -> Any:
    if sort == "ip":
        return lambda s: _ip_key(s.ip)
    if sort == "host":
        return lambda s: (host_of(s) or "\uffff", _ip_key(s.ip))
    if sort == "provider":
        return lambda s: ((s.provider.name.lower() if s.provider else "\uffff"), -s.messages)
    if sort == "bucket":
        return lambda s: (BUCKET_ORDER.get(s.bucket.value, 9), s.messages)
    if sort == "pass_rate":
        return lambda s: (s.pass_rate if s.pass_rate is not None else -1.0, s.messages)
    return lambda s: (s.messages, s.ip)


def _ip_key(ip: str) -> tuple[int, int, str]:
    import ipaddress

    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return (9, 0, ip)
    return (address.version, int(address), "")
