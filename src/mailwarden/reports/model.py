"""What a parsed report is: frozen results whose ``to_json()`` is SPEC section 12.

* :class:`AggregateReport` — a DMARC aggregate report (RFC 7489 appendix C,
  RFC 9990).  Its records are a *stream*: :meth:`AggregateReport.iter_records`
  yields :class:`AggregateRecord` objects one by one while the XML is read, so
  a store can insert a 500,000-record report in flat memory.  The stream can
  be read once; :meth:`AggregateReport.to_json` materializes it (and caches).
  ``warnings`` grows while records are read (a skipped record, recovered XML)
  and is complete once the stream is exhausted.
* :class:`FailureReport` — a DMARC failure report (ARF, RFC 5965 / 6591 / 9991).
* :class:`TLSReport` — an SMTP TLS report (RFC 8460), keeping its own member names.
* :class:`ReportError` — an input that gave no report, with a one-line reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class DateRange:
    """``date_range`` (RFC 7489 appendix C): Unix seconds, ``None`` if absent or unreadable."""

    begin: int | None
    end: int | None

    def to_json(self) -> dict[str, Any]:
        return {"begin": self.begin, "end": self.end}


@dataclass(frozen=True)
class ReportMetadata:
    """``report_metadata`` (RFC 7489 appendix C, RFC 9990 section 3.1.1)."""

    org_name: str | None
    email: str | None
    extra_contact_info: str | None
    report_id: str | None
    date_range: DateRange
    errors: tuple[str, ...] = ()
    generator: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"org_name": self.org_name, "email": self.email, "extra_contact_info": self.extra_contact_info,
                "report_id": self.report_id, "date_range": self.date_range.to_json(),
                "errors": list(self.errors), "generator": self.generator}


@dataclass(frozen=True)
class PolicyPublished:
    """``policy_published``: the DMARC record the reporter applied (RFC 9990 section 3.1.2).

    ``np``, ``testing`` and ``discovery_method`` are RFC 9990 additions; ``pct``
    and ``fo`` exist only in RFC 7489 era reports.  ``pct`` is an integer.
    """

    domain: str | None
    p: str | None
    sp: str | None = None
    np: str | None = None
    adkim: str | None = None
    aspf: str | None = None
    pct: int | None = None
    fo: str | None = None
    testing: str | None = None
    discovery_method: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"domain": self.domain, "p": self.p, "sp": self.sp, "np": self.np, "adkim": self.adkim,
                "aspf": self.aspf, "pct": self.pct, "fo": self.fo, "testing": self.testing,
                "discovery_method": self.discovery_method}


@dataclass(frozen=True)
class PolicyOverrideReason:
    """``reason``: why the receiver did not apply the policy (forwarded, mailing_list, ...)."""

    type: str | None
    comment: str | None

    def to_json(self) -> dict[str, Any]:
        return {"type": self.type, "comment": self.comment}


@dataclass(frozen=True)
class PolicyEvaluated:
    """``row/policy_evaluated``: the receiver's DMARC outcome for this row."""

    disposition: str | None
    dkim: str | None
    spf: str | None
    reasons: tuple[PolicyOverrideReason, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"disposition": self.disposition, "dkim": self.dkim, "spf": self.spf,
                "reasons": [r.to_json() for r in self.reasons]}


@dataclass(frozen=True)
class Identifiers:
    """``identifiers``: RFC5322.From domain, envelope sender and recipient domains."""

    header_from: str | None
    envelope_from: str | None = None
    envelope_to: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"header_from": self.header_from, "envelope_from": self.envelope_from,
                "envelope_to": self.envelope_to}


@dataclass(frozen=True)
class DKIMAuthResult:
    """``auth_results/dkim``: one DKIM signature's raw (unaligned) result."""

    domain: str | None
    selector: str | None
    result: str | None
    human_result: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"domain": self.domain, "selector": self.selector, "result": self.result,
                "human_result": self.human_result}


@dataclass(frozen=True)
class SPFAuthResult:
    """``auth_results/spf``: the raw (unaligned) SPF result; ``scope`` is ``mfrom`` or ``helo``."""

    domain: str | None
    scope: str | None
    result: str | None
    human_result: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"domain": self.domain, "scope": self.scope, "result": self.result,
                "human_result": self.human_result}


@dataclass(frozen=True)
class AggregateRecord:
    """One ``record``: ``count`` messages from ``source_ip`` with the same outcome."""

    source_ip: str | None
    count: int
    policy_evaluated: PolicyEvaluated
    identifiers: Identifiers
    dkim: tuple[DKIMAuthResult, ...] = ()
    spf: tuple[SPFAuthResult, ...] = ()

    @classmethod
    def fast(cls, source_ip: str | None, count: int, policy_evaluated: PolicyEvaluated, identifiers: Identifiers,
             dkim: tuple[DKIMAuthResult, ...], spf: tuple[SPFAuthResult, ...]) -> AggregateRecord:
        """The same as the constructor, for the parser's hot loop: fills ``__dict__`` in one call
        instead of six frozen ``__setattr__`` calls (a 500,000-record report builds 500,000)."""
        record = object.__new__(cls)
        record.__dict__.update(source_ip=source_ip, count=count, policy_evaluated=policy_evaluated,
                               identifiers=identifiers, dkim=dkim, spf=spf)
        return record

    def to_json(self) -> dict[str, Any]:
        return {"source_ip": self.source_ip, "count": self.count,
                "policy_evaluated": self.policy_evaluated.to_json(),
                "identifiers": self.identifiers.to_json(),
                "auth_results": {"dkim": [d.to_json() for d in self.dkim],
                                 "spf": [s.to_json() for s in self.spf]}}


class RecordStream:
    """The records of one aggregate report, readable once (or materialized and cached).

    Iterating pulls records from the parser as it reads the input; a hostile or
    broken tail raises :class:`mailwarden.errors.ReportParseError` from the loop.
    """

    __slots__ = ("_cache", "_closed", "_iterator", "_started")

    def __init__(self, records: Iterable[AggregateRecord]) -> None:
        self._iterator: Iterator[AggregateRecord] = iter(records)
        self._started = False
        self._closed = False
        self._cache: tuple[AggregateRecord, ...] | None = None

    def __iter__(self) -> Iterator[AggregateRecord]:
        if self._cache is not None:
            return iter(self._cache)
        if self._closed:
            raise RuntimeError("the records of this report are gone: read them before asking "
                               "iter_reports() for the next item")
        if self._started:
            raise RuntimeError("the records of this report were already read (they are streamed once)")
        self._started = True
        return self._iterator

    def materialize(self) -> tuple[AggregateRecord, ...]:
        """All records as a tuple (holds them in memory; fine for small reports and ``parse``)."""
        if self._cache is None:
            self._cache = tuple(iter(self))
        return self._cache

    def close(self) -> None:
        """Stop reading the input (releases the file); later iteration raises ``RuntimeError``."""
        self._closed = True
        close = getattr(self._iterator, "close", None)
        if close is not None:
            close()


@dataclass(frozen=True, eq=False)
class AggregateReport:
    """A DMARC aggregate report (RFC 7489 appendix C, RFC 9990 section 3).

    ``records`` is a :class:`RecordStream`; read it with :meth:`iter_records`
    (once, streaming) or :meth:`to_json` (materializes).  ``warnings`` lists what
    was repaired or skipped and is complete after the records were read.
    """

    source: str
    report_metadata: ReportMetadata
    policy_published: PolicyPublished
    records: RecordStream
    warnings: list[str] = field(default_factory=list)
    version: str | None = None
    kind: Literal["aggregate"] = "aggregate"

    def iter_records(self) -> Iterator[AggregateRecord]:
        """The records, one by one, as the parser reads them (single pass)."""
        return iter(self.records)

    def to_json(self) -> dict[str, Any]:
        records = self.records.materialize()
        return {"kind": self.kind, "source": self.source, "version": self.version,
                "report_metadata": self.report_metadata.to_json(),
                "policy_published": self.policy_published.to_json(),
                "records": [r.to_json() for r in records], "warnings": list(self.warnings)}


@dataclass(frozen=True)
class FailureReport:
    """A DMARC failure report (RFC 9991; ARF RFC 5965 with RFC 6591 auth-failure fields).

    Field names are the ARF field names lower-cased with ``_`` for ``-``.
    ``arrival_time`` is ``arrival_date`` in Unix seconds when it parses.
    ``original_headers`` is the reported message's header block when included.
    ``arf`` is false for the plain-text variants without a ``message/feedback-report`` part.
    """

    source: str
    feedback_type: str | None
    user_agent: str | None = None
    version: str | None = None
    arrival_date: str | None = None
    arrival_time: int | None = None
    source_ip: str | None = None
    original_mail_from: str | None = None
    original_rcpt_to: tuple[str, ...] = ()
    reported_domain: tuple[str, ...] = ()
    reported_uri: tuple[str, ...] = ()
    authentication_results: tuple[str, ...] = ()
    auth_failure: str | None = None
    delivery_result: str | None = None
    identity_alignment: str | None = None
    dkim_domain: str | None = None
    dkim_identity: str | None = None
    dkim_selector: str | None = None
    original_headers: str | None = None
    original_from: str | None = None
    original_subject: str | None = None
    original_message_id: str | None = None
    arf: bool = True
    warnings: tuple[str, ...] = ()
    kind: Literal["failure"] = "failure"

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "source": self.source, "feedback_type": self.feedback_type,
                "user_agent": self.user_agent, "version": self.version, "arrival_date": self.arrival_date,
                "arrival_time": self.arrival_time, "source_ip": self.source_ip,
                "original_mail_from": self.original_mail_from, "original_rcpt_to": list(self.original_rcpt_to),
                "reported_domain": list(self.reported_domain), "reported_uri": list(self.reported_uri),
                "authentication_results": list(self.authentication_results),
                "auth_failure": self.auth_failure, "delivery_result": self.delivery_result,
                "identity_alignment": self.identity_alignment, "dkim_domain": self.dkim_domain,
                "dkim_identity": self.dkim_identity, "dkim_selector": self.dkim_selector,
                "original_headers": self.original_headers, "original_from": self.original_from,
                "original_subject": self.original_subject, "original_message_id": self.original_message_id,
                "arf": self.arf, "warnings": list(self.warnings)}


@dataclass(frozen=True)
class TLSReport:
    """An SMTP TLS report (RFC 8460 section 4): the JSON object as sent.

    ``report`` keeps the report's own member names (``organization-name``,
    ``date-range``, ``policies`` ...); the typed attributes are the validated
    fields a store indexes on (``begin``/``end`` in Unix seconds).
    """

    source: str
    report: dict[str, Any]
    organization_name: str
    report_id: str
    begin: int | None
    end: int | None
    total_successful_sessions: int
    total_failure_sessions: int
    kind: Literal["tls"] = "tls"

    def to_json(self) -> dict[str, Any]:
        members = {k: v for k, v in self.report.items() if k not in ("kind", "source")}
        return {"kind": self.kind, "source": self.source, **members}


@dataclass(frozen=True)
class ReportError:
    """An input (file, archive member, e-mail part) that gave no report."""

    source: str
    error: str

    def to_json(self) -> dict[str, Any]:
        return {"source": self.source, "error": self.error}


Report = AggregateReport | FailureReport | TLSReport
