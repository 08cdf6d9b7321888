"""Writing reports into the store: one transaction per report, records in batches.

Idempotent: a report is identified by its kind, its reporter (organization name and
e-mail address, RFC 7489 appendix C ``report_metadata``) and its report id; adding it
again adds nothing.  Transactional: the report row and all its records are
committed together, so a crash (or a parse error after the first records) leaves
nothing of the report behind.  The records come from an iterator and are inserted
:data:`BATCH` at a time: a report's records are never all in memory.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import enum
import hashlib
import json
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.exc import IntegrityError

from mailwarden.reports.store import rollups, schema
from mailwarden.reports.store.partitions import EARLIEST_DAY, LATEST_DAY, PartitionManager

#: Records per INSERT batch.
BATCH = 2000
#: Longest text kept in a short column (attacker text is cut, never allowed to fail a report).
SHORT = 255
#: Largest message count accepted for one record (fits a signed 64-bit column with room for sums).
MAX_COUNT = 2**40
#: Authentication results kept per record and method (the rest are dropped).
MAX_AUTH = 20
#: Reason types that mean "the receiver thinks this was forwarded" (RFC 7489 appendix C PolicyOverrideType).
FORWARDING_REASONS = frozenset({"forwarded", "mailing_list", "trusted_forwarder"})


class Outcome(enum.StrEnum):
    ADDED = "added"
    KNOWN = "known"


class ReportRefused(ValueError):
    """A parsed report the store cannot keep (no report id, date out of range)."""


@dataclass(frozen=True)
class Identity:
    kind: str
    reporter: str
    report_key: str


def _short(value: Any, limit: int = SHORT) -> str | None:
    if value is None:
        return None
    text = value if type(value) is str else str(value)
    if not text.isascii():  # lone surrogates (from a lenient decoder) cannot be stored
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text[:limit] or None


def _lower(value: Any, limit: int = SHORT) -> str | None:
    if type(value) is str and value.isascii():  # the common case, kept cheap
        return value[:limit].lower() or None
    text = _short(value, limit)
    return text.lower() if text else None


def _word(value: Any) -> str | None:
    """A result word (``pass``, ``reject``): lower case, at most 32 characters."""
    return _lower(value, 32)


def _int(value: Any) -> int | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        return int(float(value)) if isinstance(value, (str, float)) else int(value)
    except (TypeError, ValueError, OverflowError):
        return None


def _document(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)


def auth_document(dkim: Iterable[Any], spf: Iterable[Any]) -> str | None:
    """A record's ``auth_results`` stored compactly: ``{"dkim": [[domain, selector, result, human_result]],
    "spf": [[domain, scope, result, human_result]]}`` (see :func:`expand_auth`)."""
    dkim, spf = list(dkim), list(spf)
    if not dkim and not spf:
        return None
    return _COMPACT.encode({"dkim": dkim, "spf": spf})


def expand_auth(text: str | None) -> dict[str, list[dict[str, Any]]] | None:
    """The SPEC section 12 ``auth_results`` object of a stored record."""
    if not text:
        return None
    data = json.loads(text)
    return {
        "dkim": [dict(zip(("domain", "selector", "result", "human_result"), item, strict=False))
                 for item in data.get("dkim", ())],
        "spf": [dict(zip(("domain", "scope", "result", "human_result"), item, strict=False))
                for item in data.get("spf", ())],
    }


def reporter_of(org_name: Any, email: Any) -> str:
    """The reporter part of a report's identity: ``org <email>``, case-folded."""
    org = (_short(org_name, 290) or "").strip().lower()
    mail = (_short(email, 290) or "").strip().lower()
    return f"{org} <{mail}>"


def day_of(timestamp: int | None) -> dt.date:
    """The UTC day of a report's begin time; refuses days outside the store's window."""
    if timestamp is None:
        raise ReportRefused("the report has no date range")
    try:
        day = dt.datetime.fromtimestamp(timestamp, dt.UTC).date()
    except (OverflowError, OSError, ValueError):
        raise ReportRefused(f"the report's date range begins at an impossible time ({timestamp})") from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise ReportRefused(f"the report's date range begins on {day.isoformat()}, outside {EARLIEST_DAY}..{LATEST_DAY}")
    return day


def _pick(auth: Iterable[tuple[Any, Any]]) -> tuple[str | None, str | None]:
    """(domain, result) of the first passing authentication result, else of the first one."""
    first: tuple[Any, Any] | None = None
    for domain, result in auth:
        word = _word(result)
        if word == "pass":
            return _lower(domain), word
        if first is None:
            first = (domain, word)
    return (None, None) if first is None else (_lower(first[0]), first[1])


def record_row(record: Any, report_id: int, day: dt.date, domain: str) -> tuple[Any, ...]:
    """One ``agg_records`` row from one record: an :class:`~mailwarden.reports.model.AggregateRecord`
    or a dict in the SPEC section 12 shape."""
    if isinstance(record, Mapping):
        return _row_from_json(record, report_id, day, domain)
    evaluated = record.policy_evaluated
    identifiers = record.identifiers
    dkim_auth = record.dkim[:MAX_AUTH]
    spf_auth = record.spf[:MAX_AUTH]
    reasons = evaluated.reasons
    reason_types = [(reason.type or "").lower() for reason in reasons] if reasons else []
    dkim_domain, dkim_result = _pick([(d.domain, d.result) for d in dkim_auth])
    spf_domain, spf_result = _pick([(d.domain, d.result) for d in spf_auth])
    auth = auth_document([[d.domain, d.selector, d.result, d.human_result] for d in dkim_auth],
                         [[d.domain, d.scope, d.result, d.human_result] for d in spf_auth])
    return _row(report_id, day, domain, record.source_ip, record.count, evaluated.disposition, evaluated.dkim,
                evaluated.spf, reason_types, identifiers.header_from, identifiers.envelope_from,
                identifiers.envelope_to, dkim_domain, dkim_result, spf_domain, spf_result, auth)


def _row_from_json(record: Mapping[str, Any], report_id: int, day: dt.date, domain: str) -> tuple[Any, ...]:
    evaluated = record.get("policy_evaluated") or {}
    identifiers = record.get("identifiers") or {}
    auth = record.get("auth_results") or {}
    dkim_auth = list(islice(auth.get("dkim") or (), MAX_AUTH))
    spf_auth = list(islice(auth.get("spf") or (), MAX_AUTH))
    reason_types = [str(reason.get("type") or "").lower() for reason in (evaluated.get("reasons") or ())]
    dkim_domain, dkim_result = _pick((d.get("domain"), d.get("result")) for d in dkim_auth)
    spf_domain, spf_result = _pick((d.get("domain"), d.get("result")) for d in spf_auth)
    return _row(report_id, day, domain, record.get("source_ip"), record.get("count"), evaluated.get("disposition"),
                evaluated.get("dkim"), evaluated.get("spf"), reason_types, identifiers.get("header_from"),
                identifiers.get("envelope_from"), identifiers.get("envelope_to"), dkim_domain, dkim_result,
                spf_domain, spf_result,
                auth_document(((d.get("domain"), d.get("selector"), d.get("result"), d.get("human_result"))
                               for d in dkim_auth),
                              ((d.get("domain"), d.get("scope"), d.get("result"), d.get("human_result"))
                               for d in spf_auth)))


#: ``agg_records`` columns in the order of :func:`_row`'s tuples.
RECORD_COLUMNS = (
    "report_id", "day", "domain", "source_ip", "count", "passed", "forwarded", "disposition", "dkim", "spf",
    "reasons", "header_from", "envelope_from", "envelope_to", "dkim_domain", "dkim_result", "spf_domain",
    "spf_result", "auth_results",
)
_COUNT = RECORD_COLUMNS.index("count")


def insert_records_sql(paramstyle: str) -> str:
    """The INSERT for a batch of :func:`_row` tuples, in the driver's parameter style
    (executed through the DB-API ``executemany``: no per-row SQLAlchemy work)."""
    mark = "?" if paramstyle == "qmark" else "%s"
    return (f"INSERT INTO agg_records ({', '.join(RECORD_COLUMNS)}) "
            f"VALUES ({', '.join(mark for _ in RECORD_COLUMNS)})")


def _row(report_id: int, day: dt.date, domain: str, source_ip: Any, count: Any, disposition: Any, dkim: Any,
         spf: Any, reason_types: list[str], header_from: Any, envelope_from: Any, envelope_to: Any,
         dkim_domain: str | None, dkim_result: str | None, spf_domain: str | None, spf_result: str | None,
         auth: str | None) -> tuple[Any, ...]:
    dkim, spf = _word(dkim), _word(spf)
    number = count if type(count) is int else (_int(count) or 0)
    return (
        report_id,
        day,
        domain,
        _short(source_ip, 64) or "",
        0 if number < 0 else MAX_COUNT if number > MAX_COUNT else number,
        1 if dkim == "pass" or spf == "pass" else 0,
        1 if reason_types and FORWARDING_REASONS.intersection(reason_types) else 0,
        _word(disposition),
        dkim,
        spf,
        _short(" ".join(kind for kind in reason_types if kind)) if reason_types else None,
        _lower(header_from),
        _lower(envelope_from),
        _lower(envelope_to),
        dkim_domain,
        dkim_result,
        spf_domain,
        spf_result,
        auth,
    )


def _batches(items: Iterator[Any], size: int) -> Iterator[list[Any]]:
    while True:
        batch = list(islice(items, size))
        if not batch:
            return
        yield batch


class ReportWriter:
    """Adds parsed reports to a migrated store (see :class:`mailwarden.reports.store.Store`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.partitioned = engine.dialect.name == "postgresql"
        self.partitions = PartitionManager(engine)

    # -- identity ---------------------------------------------------------------------------

    def known(self, identity: Identity) -> bool:
        r = schema.reports.c
        query = select(r.id).where(
            r.kind == identity.kind, r.reporter == identity.reporter, r.report_key == identity.report_key
        )
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    # -- aggregate --------------------------------------------------------------------------

    def add_report(self, report: Any, *, source: str | None = None) -> Outcome:
        """Store a parsed report (:mod:`mailwarden.reports.model`); an aggregate's records are streamed."""
        source = source or report.source
        if report.kind == "aggregate":
            header = {"kind": "aggregate", "version": report.version,
                      "report_metadata": report.report_metadata.to_json(),
                      "policy_published": report.policy_published.to_json()}
            return self.add_aggregate(header, report.iter_records(), source=source, warnings=report.warnings)
        if report.kind == "tls":
            return self.add_document("tls", report.to_json(), source=source)
        return self.add_document(report.kind, report.to_json(), source=source)

    def add_aggregate(self, header: Mapping[str, Any], records: Iterable[Any], *, source: str,
                      warnings: list[str] | None = None) -> Outcome:
        """Store one aggregate report: ``header`` without records (SPEC shape), ``records`` streamed.

        ``warnings`` (a list the parser extends while the records are read) is
        stored with the report once its records were read.
        """
        meta = header.get("report_metadata") or {}
        policy = header.get("policy_published") or {}
        report_key = _short(meta.get("report_id"), 600)
        if not report_key:
            raise ReportRefused("the report has no report_id")
        identity = Identity("aggregate", reporter_of(meta.get("org_name"), meta.get("email")), report_key)
        if self.known(identity):
            return Outcome.KNOWN
        date_range = meta.get("date_range") or {}
        begin, end = _int(date_range.get("begin")), _int(date_range.get("end"))
        day = day_of(begin)
        domain = _lower(policy.get("domain")) or ""
        if self.partitioned:
            self.partitions.ensure(day)
        document = {key: value for key, value in header.items() if key not in ("records", "source")}
        row = {
            "kind": identity.kind,
            "reporter": identity.reporter,
            "report_key": identity.report_key,
            "org_name": _short(meta.get("org_name"), 1000),
            "email": _short(meta.get("email"), 1000),
            "domain": domain,
            "begin_ts": begin,
            "end_ts": end,
            "policy_p": _word(policy.get("p")),
            "policy_pct": _int(policy.get("pct")),
            "record_count": 0,
            "message_count": 0,
            "source": source,
            "ingested_at": int(time.time()),
            "document": _document(document),
        }
        try:
            with self.engine.begin() as conn:
                report_id = conn.execute(schema.reports.insert(), row).inserted_primary_key[0]
                record_count = message_count = 0
                insert = insert_records_sql(self.engine.dialect.paramstyle)
                rows = (record_row(record, report_id, day, domain) for record in records)
                for batch in _batches(rows, BATCH):
                    conn.exec_driver_sql(insert, batch)
                    record_count += len(batch)
                    message_count += sum(item[_COUNT] for item in batch)
                rollups.add_report(conn, report_id)
                final = {"record_count": record_count, "message_count": message_count}
                if warnings:
                    final["document"] = _document({**document, "warnings": list(warnings)[:100]})
                conn.execute(update(schema.reports).where(schema.reports.c.id == report_id).values(**final))
        except IntegrityError:
            # Another ingest committed the same report between our check and our insert.
            if self.known(identity):
                return Outcome.KNOWN
            raise
        return Outcome.ADDED

    # -- failure and TLS ----------------------------------------------------------------------

    def add_document(self, kind: str, report: Mapping[str, Any], *, source: str) -> Outcome:
        """Store a failure (RFC 6591) or SMTP TLS (RFC 8460) report as one row."""
        report = {key: value for key, value in report.items() if key != "source"}
        if kind == "tls":
            identity, domain, begin, end, org, mail = _tls_identity(report)
        elif kind == "failure":
            identity, domain, begin, end, org, mail = _failure_identity(report)
        else:
            raise ReportRefused(f"unknown report kind {kind!r}")
        if self.known(identity):
            return Outcome.KNOWN
        row = {
            "kind": kind,
            "reporter": identity.reporter,
            "report_key": identity.report_key,
            "org_name": org,
            "email": mail,
            "domain": domain,
            "begin_ts": begin,
            "end_ts": end,
            "policy_p": None,
            "policy_pct": None,
            "record_count": 0,
            "message_count": 1 if kind == "failure" else _tls_sessions(report),
            "source": source,
            "ingested_at": int(time.time()),
            "document": _document(report),
        }
        try:
            with self.engine.begin() as conn:
                conn.execute(schema.reports.insert(), row)
        except IntegrityError:
            if self.known(identity):
                return Outcome.KNOWN
            raise
        return Outcome.ADDED

    # -- rejected inputs ----------------------------------------------------------------------

    def add_rejected(self, source: str, error: str) -> None:
        """Keep an input that could not be used, with its error; seen again it is counted, not duplicated."""
        now = int(time.time())
        digest = hashlib.sha256(f"{source}\0{error}".encode("utf-8", "replace")).hexdigest()
        t = schema.rejected_inputs
        with self.engine.begin() as conn:
            updated = conn.execute(
                update(t).where(t.c.digest == digest).values(last_seen=now, times=t.c.times + 1)
            ).rowcount
            if not updated:
                try:
                    with conn.begin_nested():
                        conn.execute(t.insert(), {"source": source, "digest": digest, "error": error,
                                                  "first_seen": now, "last_seen": now, "times": 1})
                except IntegrityError:
                    pass


def _timestamp(value: Any) -> int | None:
    """Unix seconds from a number or an RFC 3339 date-time (RFC 8460 section 4.3)."""
    number = _int(value) if not isinstance(value, str) else None
    if number is not None:
        return number
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            number = _int(value)
            if number is not None:
                return number
            try:
                parsed = email.utils.parsedate_to_datetime(value)  # RFC 5322 date (ARF Arrival-Date)
            except (TypeError, ValueError, IndexError):
                return None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=dt.UTC)
        return int(parsed.timestamp())
    return None


def _tls_identity(report: Mapping[str, Any]) -> tuple[Identity, str | None, int | None, int | None, Any, Any]:
    """RFC 8460 section 4.4: ``organization-name``, ``contact-info``, ``report-id``, ``date-range``."""
    report_id = _short(report.get("report-id"), 600)
    if not report_id:
        raise ReportRefused("the TLS report has no report-id")
    org, mail = _short(report.get("organization-name"), 1000), _short(report.get("contact-info"), 1000)
    date_range = report.get("date-range") or {}
    domain = None
    for item in report.get("policies") or ():
        policy = (item or {}).get("policy") or {}
        domain = _lower(policy.get("policy-domain"))
        if domain:
            break
    identity = Identity("tls", reporter_of(org, mail), report_id)
    return identity, domain, _timestamp(date_range.get("start-datetime")), _timestamp(date_range.get("end-datetime")), org, mail


def _tls_sessions(report: Mapping[str, Any]) -> int:
    total = 0
    for item in report.get("policies") or ():
        summary = (item or {}).get("summary") or {}
        for key in ("total-successful-session-count", "total-failure-session-count"):
            total += max(0, min(_int(summary.get(key)) or 0, MAX_COUNT))
    return total


def _failure_identity(report: Mapping[str, Any]) -> tuple[Identity, str | None, int | None, int | None, Any, Any]:
    """A failure report has no report id (RFC 6591): its identity is the digest of its content."""
    body = {key: value for key, value in report.items() if key not in ("source", "index")}
    digest = hashlib.sha256(_document(body).encode("utf-8", "replace")).hexdigest()
    domains = report.get("reported_domain") or ()
    domain = _lower(domains[0]) if domains else None
    arrival = _int(report.get("arrival_time")) or _timestamp(report.get("arrival_date"))
    agent = _short(report.get("user_agent"), 1000)
    return Identity("failure", reporter_of(agent, None), digest), domain, arrival, arrival, agent, None
