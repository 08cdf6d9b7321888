"""Frozen results of the report analysis; ``to_json()`` is what ``--json`` prints."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from mailwarden.reports.analysis.buckets import BUCKETS, Bucket
from mailwarden.reports.analysis.geoip import GeoInfo
from mailwarden.reports.analysis.providers import Provider
from mailwarden.reports.analysis.queries import Window
from mailwarden.reports.analysis.rdns import ReverseName


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to 4 places; ``None`` when there is nothing to divide."""
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class DayVolume:
    """Messages reported for one day, and how many passed DMARC."""

    day: dt.date
    messages: int
    passed: int

    @property
    def pass_rate(self) -> float | None:
        return rate(self.passed, self.messages)

    def to_json(self) -> dict[str, Any]:
        return {"day": self.day.isoformat(), "messages": self.messages, "passed": self.passed,
                "pass_rate": self.pass_rate}


@dataclass(frozen=True)
class Source:
    """One sending source (an IP address) for one domain."""

    domain: str
    ip: str
    messages: int
    passed: int
    bucket: Bucket
    reason: str
    #: Messages per bucket, in :data:`BUCKETS` order (a source can send mail of several kinds).
    by_bucket: tuple[tuple[Bucket, int], ...]
    reverse: ReverseName | None
    org_domain: str | None
    provider: Provider | None
    auth_domains: tuple[str, ...]
    geo: GeoInfo | None = None

    @property
    def pass_rate(self) -> float | None:
        return rate(self.passed, self.messages)

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "ip": self.ip,
            "messages": self.messages,
            "passed": self.passed,
            "pass_rate": self.pass_rate,
            "bucket": self.bucket.value,
            "reason": self.reason,
            "messages_by_bucket": {bucket.value: count for bucket, count in self.by_bucket},
            "reverse_dns": self.reverse.name if self.reverse else None,
            "reverse_dns_confirmed": self.reverse.confirmed if self.reverse else False,
            "org_domain": self.org_domain,
            "provider": self.provider.name if self.provider else None,
            "provider_type": self.provider.type if self.provider else None,
            "auth_domains": list(self.auth_domains),
            "geo": self.geo.to_json() if self.geo else None,
        }


@dataclass(frozen=True)
class BucketTotal:
    bucket: Bucket
    messages: int
    sources: int

    def to_json(self) -> dict[str, Any]:
        return {"messages": self.messages, "sources": self.sources}


@dataclass(frozen=True)
class Readiness:
    """Can the domain take the next DMARC policy step (none -> quarantine -> reject)?"""

    current_policy: str | None
    current_pct: int | None
    next_step: str | None
    ready: bool
    aligned_share: float | None
    legitimate_messages: int
    days: int
    would_block: tuple[Source, ...]
    reason: str

    def to_json(self) -> dict[str, Any]:
        return {
            "current_policy": self.current_policy,
            "current_pct": self.current_pct,
            "next_step": self.next_step,
            "ready": self.ready,
            "aligned_share_of_legitimate": self.aligned_share,
            "legitimate_messages": self.legitimate_messages,
            "days_of_data": self.days,
            "would_block": [
                {"ip": s.ip, "provider": s.provider.name if s.provider else None, "bucket": s.bucket.value,
                 "messages": s.messages}
                for s in self.would_block
            ],
            "reason": self.reason,
        }


@dataclass(frozen=True)
class DomainSummary:
    domain: str
    messages: int
    passed: int
    reports: int
    reporters: int
    first_day: dt.date | None
    last_day: dt.date | None
    buckets: tuple[BucketTotal, ...]
    top_sources: tuple[Source, ...]
    series: tuple[DayVolume, ...]
    readiness: Readiness

    @property
    def pass_rate(self) -> float | None:
        return rate(self.passed, self.messages)

    def bucket(self, bucket: Bucket) -> BucketTotal:
        return next(b for b in self.buckets if b.bucket is bucket)

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "messages": self.messages,
            "passed": self.passed,
            "pass_rate": self.pass_rate,
            "reports": self.reports,
            "reporters": self.reporters,
            "first_day": self.first_day.isoformat() if self.first_day else None,
            "last_day": self.last_day.isoformat() if self.last_day else None,
            "buckets": {b.bucket.value: b.to_json() for b in self.buckets},
            "top_sources": [s.to_json() for s in self.top_sources],
            "series": [d.to_json() for d in self.series],
            "readiness": self.readiness.to_json(),
        }


@dataclass(frozen=True)
class RejectedInput:
    source: str
    error: str
    last_seen: int
    times: int

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "error": self.error, "last_seen": self.last_seen, "times": self.times}


@dataclass(frozen=True)
class Summary:
    """``reports summary``: every domain in the window, plus what could not be read."""

    window: Window
    domains: tuple[DomainSummary, ...]
    report_counts: tuple[tuple[str, int], ...]
    rejected_total: int
    rejected: tuple[RejectedInput, ...]
    reverse_dns: bool

    def to_json(self) -> dict[str, Any]:
        return {
            **self.window.to_json(),
            "reports": dict(self.report_counts),
            "domains": [d.to_json() for d in self.domains],
            "rejected_total": self.rejected_total,
            "rejected": [r.to_json() for r in self.rejected],
            "reverse_dns": self.reverse_dns,
        }


@dataclass(frozen=True)
class SourceList:
    """``reports sources``: every source, most messages first."""

    window: Window
    bucket: Bucket | None
    sources: tuple[Source, ...]
    total: int
    reverse_dns: bool

    def to_json(self) -> dict[str, Any]:
        return {
            **self.window.to_json(),
            "bucket": self.bucket.value if self.bucket else None,
            "total": self.total,
            "sources": [s.to_json() for s in self.sources],
            "reverse_dns": self.reverse_dns,
        }


__all__ = ["BUCKETS", "BucketTotal", "DayVolume", "DomainSummary", "Readiness", "RejectedInput", "Source",
           "SourceList", "Summary", "rate"]
