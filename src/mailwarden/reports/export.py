"""Stream stored reports out as JSON or CSV (``mailwarden reports export``).

Rows are read from the database in chunks and written as they come, so an export
of millions of records holds a few thousand rows in memory at a time.  CSV cells
that a spreadsheet would run as a formula (attacker text starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return) are prefixed with ``'``.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any, TextIO

from sqlalchemy import select

from mailwarden.reports.store import Store
from mailwarden.reports.store.schema import agg_records, reports
from mailwarden.reports.store.writer import expand_auth

CHUNK_ROWS = 5000

AGGREGATE_COLUMNS = (
    "org_name", "email", "report_id", "begin", "end", "domain", "policy_p", "source_ip", "count", "disposition",
    "dkim", "spf", "reasons", "header_from", "envelope_from", "envelope_to", "dkim_domain", "dkim_result",
    "spf_domain", "spf_result", "auth_results",
)
FAILURE_COLUMNS = (
    "reporter", "domain", "arrival", "feedback_type", "source_ip", "auth_failure", "original_mail_from",
    "original_rcpt_to", "reported_domain", "delivery_result", "identity_alignment", "dkim_domain",
    "dkim_selector", "original_from", "original_subject",
)
TLS_COLUMNS = (
    "organization_name", "report_id", "begin", "end", "policy_type", "policy_domain",
    "total_successful_session_count", "total_failure_session_count",
)


def _unix(day: dt.date) -> int:
    return int(dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC).timestamp())


def aggregate_rows(store: Store, *, domain: str | None = None, since: dt.date | None = None,
                   until: dt.date | None = None) -> Iterator[dict[str, Any]]:
    """One dict per stored aggregate record, with its report's reporter, id and dates."""
    r, t = agg_records.c, reports.c
    query = (
        select(t.org_name, t.email, t.report_key, t.begin_ts, t.end_ts, r.domain, t.policy_p, r.source_ip, r.count,
               r.disposition, r.dkim, r.spf, r.reasons, r.header_from, r.envelope_from, r.envelope_to,
               r.dkim_domain, r.dkim_result, r.spf_domain, r.spf_result, r.auth_results)
        .join_from(agg_records, reports, t.id == r.report_id)
        .order_by(t.begin_ts, t.id)
    )
    if domain:
        query = query.where(r.domain == domain.lower().rstrip("."))
    if since:
        query = query.where(r.day >= since)
    if until:
        query = query.where(r.day <= until)
    with store.engine.connect() as conn:
        for row in conn.execution_options(yield_per=CHUNK_ROWS).execute(query):
            item = dict(zip(AGGREGATE_COLUMNS, row, strict=True))
            item["auth_results"] = expand_auth(item["auth_results"])
            yield item


def document_rows(store: Store, kind: str, *, domain: str | None = None, since: dt.date | None = None,
                  until: dt.date | None = None) -> Iterator[dict[str, Any]]:
    """The stored JSON of every failure or TLS report."""
    t = reports.c
    query = select(t.document, t.source).where(t.kind == kind).order_by(t.begin_ts, t.id)
    if domain:
        query = query.where(t.domain == domain.lower().rstrip("."))
    if since:
        query = query.where(t.begin_ts >= _unix(since))
    if until:
        query = query.where(t.begin_ts < _unix(until + dt.timedelta(days=1)))
    with store.engine.connect() as conn:
        for document, source in conn.execution_options(yield_per=CHUNK_ROWS).execute(query):
            yield {"kind": kind, "source": source, **json.loads(document)}


def _rows(store: Store, kind: str, **window: Any) -> Iterator[dict[str, Any]]:
    if kind == "aggregate":
        return aggregate_rows(store, **window)
    return document_rows(store, kind, **window)


def export_json(store: Store, kind: str, out: TextIO, **window: Any) -> int:
    """``{"kind": KIND, "rows": [...]}`` written row by row; returns the number of rows."""
    out.write('{"kind": ' + json.dumps(kind) + ', "rows": [')
    count = 0
    for row in _rows(store, kind, **window):
        out.write(("\n  " if not count else ",\n  ") + json.dumps(row, ensure_ascii=False, sort_keys=False))
        count += 1
    out.write("\n]}\n" if count else "]}\n")
    return count


def export_csv(store: Store, kind: str, out: TextIO, **window: Any) -> int:
    """A header line and one line per record (aggregate), report (failure) or policy (TLS)."""
    columns = {"aggregate": AGGREGATE_COLUMNS, "failure": FAILURE_COLUMNS, "tls": TLS_COLUMNS}[kind]
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in _rows(store, kind, **window):
        for flat in _flatten(kind, row):
            writer.writerow([_cell(flat.get(column)) for column in columns])
            count += 1
    return count


def _flatten(kind: str, row: dict[str, Any]) -> Iterator[dict[str, Any]]:
    if kind == "aggregate":
        yield row
    elif kind == "failure":
        yield {**row, "reporter": row.get("user_agent"), "domain": ",".join(row.get("reported_domain") or ()),
               "arrival": row.get("arrival_time") or row.get("arrival_date")}
    else:
        date_range = row.get("date-range") or {}
        base = {"organization_name": row.get("organization-name"), "report_id": row.get("report-id"),
                "begin": date_range.get("start-datetime"), "end": date_range.get("end-datetime")}
        for item in row.get("policies") or [{}]:
            policy = (item or {}).get("policy") or {}
            summary = (item or {}).get("summary") or {}
            yield {**base, "policy_type": policy.get("policy-type"), "policy_domain": policy.get("policy-domain"),
                   "total_successful_session_count": summary.get("total-successful-session-count"),
                   "total_failure_session_count": summary.get("total-failure-session-count")}


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        value = ",".join(str(v) for v in value)
    elif isinstance(value, dict):
        value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
