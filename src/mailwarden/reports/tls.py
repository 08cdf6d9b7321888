"""SMTP TLS reports (RFC 8460 section 4), JSON.

The report is kept with its own member names (``organization-name``,
``date-range``, ``policies`` ...); the members a store needs are checked
against RFC 8460 section 4.4 and offered typed on :class:`TLSReport`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from mailwarden.errors import ReportParseError
from mailwarden.reports.model import TLSReport

_MAX_SESSIONS = 2**53


def parse_tls(data: bytes, *, source: str) -> TLSReport:
    """Parse an RFC 8460 report from JSON bytes (UTF-8, RFC 8460 section 4.1)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ReportParseError("SMTP TLS report is not UTF-8 JSON") from None
    try:
        report = json.loads(text)
    except RecursionError:
        raise ReportParseError("SMTP TLS report JSON is nested too deeply: refused") from None
    except ValueError as exc:
        raise ReportParseError(f"SMTP TLS report is not valid JSON: {str(exc)[:120]}") from None
    if not isinstance(report, dict):
        raise ReportParseError("SMTP TLS report JSON is not an object")
    if "policies" not in report or "organization-name" not in report:
        raise ReportParseError("not an SMTP TLS report (RFC 8460): no organization-name/policies members")
    organization = _string(report, "organization-name")
    report_id = _string(report, "report-id")
    date_range = report.get("date-range")
    if not isinstance(date_range, dict):
        raise ReportParseError("SMTP TLS report has no date-range object")
    begin = _time(date_range.get("start-datetime"))
    end = _time(date_range.get("end-datetime"))
    policies = report.get("policies")
    if not isinstance(policies, list):
        raise ReportParseError("SMTP TLS report policies is not a list")
    successes = failures = 0
    for index, item in enumerate(policies):
        if not isinstance(item, dict) or not isinstance(item.get("policy"), dict):
            raise ReportParseError(f"SMTP TLS report policies[{index}] has no policy object")
        summary = item.get("summary")
        if not isinstance(summary, dict):
            raise ReportParseError(f"SMTP TLS report policies[{index}] has no summary object")
        successes += _count(summary, "total-successful-session-count", index)
        failures += _count(summary, "total-failure-session-count", index)
    return TLSReport(source=source, report=report, organization_name=organization, report_id=report_id,
                     begin=begin, end=end, total_successful_sessions=successes, total_failure_sessions=failures)


def _string(report: dict[str, Any], name: str) -> str:
    value = report.get(name)
    if not isinstance(value, str) or not value.strip():
        raise ReportParseError(f"SMTP TLS report has no {name}")
    return value.strip()


def _count(summary: dict[str, Any], name: str, index: int) -> int:
    value = summary.get(name, 0)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < _MAX_SESSIONS:
        raise ReportParseError(f"SMTP TLS report policies[{index}] {name} is not a count")
    return value


def _time(value: Any) -> int | None:
    """An RFC 3339 date-time (RFC 8460 section 4.4) in Unix seconds, ``None`` if unreadable."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    text = value.strip()
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return int(moment.timestamp())
