"""Monthly range partitions of ``agg_records`` on PostgreSQL, created as needed.

Declarative partitioning (``CREATE TABLE ... PARTITION OF ... FOR VALUES FROM .. TO ..``)
is plain PostgreSQL DDL that PostgreSQL-compatible distributed engines also accept.
A partition is created in its own short transaction before a report's records are
written, so the report's transaction never holds a lock on the parent table's
catalogue; two ingests racing for the same month both end up with it.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

#: Report days outside this window are refused (a hostile report cannot make the
#: store create partitions for the year 9999).
EARLIEST_DAY = dt.date(1970, 1, 1)
LATEST_DAY = dt.date(2099, 12, 31)
#: Days before this share one partition (old samples, test reports, broken clocks),
#: so that the number of partitions a hostile report can cause stays small.
FIRST_MONTHLY = dt.date(2000, 1, 1)


def month_bounds(day: dt.date) -> tuple[dt.date, dt.date]:
    """First day of ``day``'s month and first day of the next month."""
    first = day.replace(day=1)
    following = dt.date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, following


def partition_name(day: dt.date) -> str:
    if day < FIRST_MONTHLY:
        return "agg_records_before_2000"
    return f"agg_records_{day.year:04d}_{day.month:02d}"


def partition_bounds(day: dt.date) -> str:
    """The ``FOR VALUES`` clause of ``day``'s partition."""
    if day < FIRST_MONTHLY:
        return f"FROM (MINVALUE) TO ('{FIRST_MONTHLY.isoformat()}')"
    first, following = month_bounds(day)
    return f"FROM ('{first.isoformat()}') TO ('{following.isoformat()}')"


class PartitionManager:
    """Remembers which monthly partitions exist; creates the missing ones."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.known: set[str] = set()

    def ensure(self, day: dt.date) -> None:
        name = partition_name(day)
        if name in self.known:
            return
        ddl = text(f"CREATE TABLE IF NOT EXISTS {name} PARTITION OF agg_records FOR VALUES {partition_bounds(day)}")
        for attempt in range(3):
            try:
                with self.engine.begin() as conn:
                    conn.execute(ddl)
                break
            except DBAPIError:
                # A concurrent ingest created it between our check and our CREATE
                # (pg_type unique violation): the next attempt sees it and does nothing.
                if attempt == 2:
                    raise
        self.known.add(name)
