"""DMARC aggregate and failure reports and SMTP-TLS reports: parsing (SPEC section 12).

The API the store, the CLI and scripts call::

    from mailwarden.reports import iter_reports, AggregateReport, FailureReport, TLSReport, ReportError

    for item in iter_reports(path_or_bytes, source=None):     # file, directory or bytes
        if isinstance(item, ReportError):       # .source, .error: one line, never an exception
            ...
        elif isinstance(item, AggregateReport): # .report_metadata, .policy_published, .warnings
            for record in item.iter_records():  # streamed while the XML is read: flat memory
                ...                             # may raise ReportParseError (a broken tail)
        else:                                   # FailureReport / TLSReport
            item.to_json()

* Containers: ``.xml``, ``.xml.gz``, ``.zip`` (members in memory, never on
  disk), ``.json``/``.json.gz``, e-mails (attached, inline, nested
  multiparts, ARF), mbox files, Maildir folders and directories (recursive);
  the kind is sniffed from the bytes, not the name.
* Read an aggregate report's records before asking ``iter_reports`` for the
  next item (they stream from the same input).  ``warnings`` is complete once
  the records were read.  ``report.to_json()`` materializes the records.
* Hostile input is bounded by :class:`Limits` (decompressed size and ratio,
  element and field sizes, nesting); DTDs/entities are refused, nothing is
  fetched and nothing is written to disk.
* Lower level: :func:`parse_aggregate` (a stream of XML chunks),
  :func:`parse_tls` (JSON bytes).

Storing and analysing: :mod:`mailwarden.reports.store` (the report store: SQLite or
PostgreSQL, migrated by the tool), :mod:`mailwarden.reports.ingest` (sources into the
store) and :mod:`mailwarden.reports.analysis` ("who sends mail as my domain").
"""

from mailwarden.reports.aggregate import parse_aggregate
from mailwarden.reports.containers import iter_reports, sniff
from mailwarden.reports.limits import DEFAULT_LIMITS, Limits
from mailwarden.reports.model import (
    AggregateRecord,
    AggregateReport,
    DateRange,
    DKIMAuthResult,
    FailureReport,
    Identifiers,
    PolicyEvaluated,
    PolicyOverrideReason,
    PolicyPublished,
    RecordStream,
    Report,
    ReportError,
    ReportMetadata,
    SPFAuthResult,
    TLSReport,
)
from mailwarden.reports.tls import parse_tls

__all__ = [
    "DEFAULT_LIMITS",
    "AggregateRecord",
    "AggregateReport",
    "DKIMAuthResult",
    "DateRange",
    "FailureReport",
    "Identifiers",
    "Limits",
    "PolicyEvaluated",
    "PolicyOverrideReason",
    "PolicyPublished",
    "RecordStream",
    "Report",
    "ReportError",
    "ReportMetadata",
    "SPFAuthResult",
    "TLSReport",
    "iter_reports",
    "parse_aggregate",
    "parse_tls",
    "sniff",
]
