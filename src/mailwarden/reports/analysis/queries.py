"""The SQL behind the analysis: a few GROUP BY queries over ``agg_records``.

Each query filters on ``(domain, day)`` (an index, and partition pruning on
PostgreSQL) and returns aggregated rows, never the records themselves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import Select, func, select

from mailwarden.reports.analysis.buckets import Traffic
from mailwarden.reports.store import Store
from mailwarden.reports.store.schema import agg_records, daily_totals, rejected_inputs, reports, source_totals


@dataclass(frozen=True)
class Window:
    """Which records an analysis reads: one domain or all, and an inclusive day range."""

    domain: str | None = None
    since: dt.date | None = None
    until: dt.date | None = None

    def apply(self, query: Select) -> Select:  # type: ignore[type-arg]
        r = agg_records.c
        if self.domain:
            query = query.where(r.domain == self.domain.lower().rstrip("."))
        if self.since:
            query = query.where(r.day >= self.since)
        if self.until:
            query = query.where(r.day <= self.until)
        return query

    def to_json(self) -> dict[str, str | None]:
        return {
            "domain": self.domain,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


def traffic(store: Store, window: Window) -> Iterator[Traffic]:
    """Messages grouped by domain, source and evaluation.

    Without a day range the kept totals (``source_totals``) answer; with one, the
    records of the days in range are grouped (partition pruning on PostgreSQL).
    """
    if window.since is None and window.until is None:
        yield from _traffic_from_totals(store, window.domain)
        return
    r = agg_records.c
    query = window.apply(
        select(r.domain, r.source_ip, r.passed, r.forwarded, r.dkim_domain, r.dkim_result, r.spf_domain,
               r.spf_result, func.sum(r.count), func.count())
        .group_by(r.domain, r.source_ip, r.passed, r.forwarded, r.dkim_domain, r.dkim_result, r.spf_domain,
                  r.spf_result)
    )
    with store.engine.connect() as conn:
        for row in conn.execute(query):
            yield Traffic(row[0], row[1], bool(row[2]), bool(row[3]), row[4], row[5], row[6], row[7],
                          int(row[8] or 0), int(row[9] or 0))


def _traffic_from_totals(store: Store, domain: str | None) -> Iterator[Traffic]:
    t = source_totals.c
    query = select(t.domain, t.source_ip, t.passed, t.forwarded, t.dkim_domain, t.dkim_result, t.spf_domain,
                   t.spf_result, t.messages, t.records)
    if domain:
        query = query.where(t.domain == domain.lower().rstrip("."))
    with store.engine.connect() as conn:
        for row in conn.execute(query):
            yield Traffic(row[0], row[1], bool(row[2]), bool(row[3]), row[4] or None, row[5] or None,
                          row[6] or None, row[7] or None, int(row[8]), int(row[9]))


def daily(store: Store, window: Window) -> list[tuple[str, dt.date, int, int]]:
    """(domain, day, messages, passed messages) per day, from the kept daily totals."""
    d = daily_totals.c
    query = select(d.domain, d.day, d.messages, d.passed).order_by(d.domain, d.day)
    if window.domain:
        query = query.where(d.domain == window.domain.lower().rstrip("."))
    if window.since:
        query = query.where(d.day >= window.since)
    if window.until:
        query = query.where(d.day <= window.until)
    with store.engine.connect() as conn:
        return [(row[0], _date(row[1]), int(row[2] or 0), int(row[3] or 0)) for row in conn.execute(query)]


def report_facts(store: Store, window: Window) -> dict[str, dict[str, object]]:
    """Per domain: number of aggregate reports and reporters, and the newest published policy."""
    t = reports.c
    query = select(t.domain, func.count(), func.count(func.distinct(t.reporter))).where(t.kind == "aggregate")
    newest = select(t.domain, t.policy_p, t.policy_pct, t.begin_ts).where(t.kind == "aggregate")
    for clause in _report_window(window):
        query = query.where(clause)
    facts: dict[str, dict[str, object]] = {}
    with store.engine.connect() as conn:
        for domain, count, reporters in conn.execute(query.group_by(t.domain)):
            facts[domain] = {"reports": int(count), "reporters": int(reporters), "policy": None, "pct": None}
        inner = reports.alias("newer")
        newest_begin = (
            select(func.max(inner.c.begin_ts))
            .where(inner.c.kind == "aggregate", inner.c.domain == t.domain)
            .scalar_subquery()
        )
        for domain, policy, pct, _begin in conn.execute(newest.where(t.begin_ts == newest_begin)):
            if domain in facts:
                facts[domain]["policy"] = policy
                facts[domain]["pct"] = pct
    return facts


def _report_window(window: Window) -> list[object]:
    t = reports.c
    clauses: list[object] = []
    if window.domain:
        clauses.append(t.domain == window.domain.lower().rstrip("."))
    if window.since:
        clauses.append(t.begin_ts >= _unix(window.since))
    if window.until:
        clauses.append(t.begin_ts < _unix(window.until + dt.timedelta(days=1)))
    return clauses


def kind_counts(store: Store, window: Window) -> dict[str, int]:
    """Number of stored reports of each kind in the window."""
    t = reports.c
    query = select(t.kind, func.count()).group_by(t.kind)
    for clause in _report_window(window):
        query = query.where(clause)
    with store.engine.connect() as conn:
        return {kind: int(count) for kind, count in conn.execute(query)}


def rejected(store: Store, limit: int = 20) -> tuple[int, list[tuple[str, str, int, int]]]:
    """(total, newest ``limit`` rejected inputs as (source, error, last_seen, times))."""
    t = rejected_inputs.c
    with store.engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(rejected_inputs)).scalar() or 0
        rows = conn.execute(
            select(t.source, t.error, t.last_seen, t.times).order_by(t.last_seen.desc(), t.id.desc()).limit(limit)
        ).all()
    return int(total), [(row[0], row[1], int(row[2]), int(row[3])) for row in rows]


def _unix(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def _date(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])
