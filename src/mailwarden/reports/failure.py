"""DMARC failure reports: ARF (RFC 5965) with the authentication-failure fields
of RFC 6591, as RFC 9991 section 3 asks, and the plain-text variants some
reporters send without a ``message/feedback-report`` part (Exim's "DMARC
Forensic Report": ``Sender Domain:``, ``Sender IP Address:`` ...).

Everything here is attacker text: values are cut to a field cap, lists are
bounded, and nothing is looked up or fetched.
"""

from __future__ import annotations

import ipaddress
import re
from email.utils import parsedate_to_datetime

from mailwarden.bounces.mime import Part
from mailwarden.errors import MessageError, ReportParseError
from mailwarden.message import Message, parse_message
from mailwarden.reports.model import FailureReport

_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]{0,80})[ \t]*:[ \t]*(.*)$")
#: Plain-text reports name their fields in words ("Sender IP Address: ...").
_TEXT_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9 -]{0,40}?)[ \t]*:[ \t]*(.*)$")
_MAX_FIELDS = 500
_MAX_VALUES = 100
_MAX_CHARS = 2048
_MAX_HEADERS = 64 * 1024
_PLAIN_MARKER = re.compile(r"failed the published dmarc policy|^\s*dmarc results:|^\s*sender ip address:",
                           re.IGNORECASE | re.MULTILINE)
_HEADER_COPY = re.compile(r"^-{2,}[^\n]*cop(?:y|ies) of the (?:original )?headers[^\n]*\n", re.IGNORECASE | re.MULTILINE)


def _fields(text: str, pattern: re.Pattern[str] = _FIELD) -> dict[str, list[str]]:
    """``Name: value`` lines (RFC 5965 section 3.1, with RFC 5322 folding) keyed by lower-case name.

    Plain-text reports (``_TEXT_FIELD``) indent their lines, so they are not folded.
    """
    folding = pattern is _FIELD
    result: dict[str, list[str]] = {}
    last: list[str] | None = None
    count = 0
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:4 * _MAX_FIELDS]:
        if folding and line[:1] in (" ", "\t") and last is not None and line.strip():
            last[-1] = (last[-1] + " " + line.strip())[:_MAX_CHARS]
            continue
        match = pattern.match(line.strip())
        if not match:
            last = None
            continue
        count += 1
        if count > _MAX_FIELDS:
            break
        values = result.setdefault(match.group(1).lower(), [])
        if len(values) < _MAX_VALUES:
            values.append(match.group(2).strip()[:_MAX_CHARS])
            last = values
        else:
            last = None
    return result


def _first(fields: dict[str, list[str]], *names: str) -> str | None:
    for name in names:
        for value in fields.get(name, ()):
            if value:
                return value
    return None


def _ip(value: str | None) -> str | None:
    if not value:
        return None
    text = value.strip().strip("[]")
    if text.lower().startswith("ipv6:"):
        text = text[5:]
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def _unix(value: str | None) -> int | None:
    if not value:
        return None
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:
        return None
    try:
        return int(moment.timestamp())
    except (OverflowError, OSError, ValueError):
        return None


def _addr(value: str) -> str:
    return value.strip().strip("<>").strip()


def _headers_text(message: Message | None) -> str | None:
    if message is None:
        return None
    return message.header_bytes.decode("utf-8", "replace")[:_MAX_HEADERS].replace("\r\n", "\n")


def from_arf(source: str, feedback: Part, original: Part | None) -> FailureReport:
    """A failure report from a ``message/feedback-report`` part and the original (RFC 5965 section 2)."""
    text = feedback.text if feedback.text is not None else feedback.raw_body.decode("utf-8", "replace")
    fields = _fields(text)
    feedback_type = _first(fields, "feedback-type")
    if feedback_type is None:
        raise ReportParseError("feedback report has no Feedback-Type field")
    warnings: list[str] = []
    raw_ip = _first(fields, "source-ip")
    source_ip = _ip(raw_ip)
    if raw_ip and source_ip is None:
        warnings.append(f"Source-IP {raw_ip[:60]!r} is not an IP address")
    arrival = _first(fields, "arrival-date", "received-date")
    original_message = original.message if original is not None else None
    original_headers = _headers_text(original_message)
    if original_headers is None and original is not None and original.text is not None:
        original_headers = original.text[:_MAX_HEADERS].replace("\r\n", "\n")
    return FailureReport(
        source=source, feedback_type=feedback_type.lower(), user_agent=_first(fields, "user-agent"),
        version=_first(fields, "version"), arrival_date=arrival, arrival_time=_unix(arrival), source_ip=source_ip,
        original_mail_from=_addr(_first(fields, "original-mail-from") or "") or None,
        original_rcpt_to=tuple(_addr(v) for v in fields.get("original-rcpt-to", ()) if _addr(v)),
        reported_domain=tuple(v.lower().rstrip(".") for v in fields.get("reported-domain", ()) if v),
        reported_uri=tuple(fields.get("reported-uri", ())),
        authentication_results=tuple(fields.get("authentication-results", ())),
        auth_failure=_lower(_first(fields, "auth-failure")), delivery_result=_lower(_first(fields, "delivery-result")),
        identity_alignment=_lower(_first(fields, "identity-alignment")),
        dkim_domain=_lower(_first(fields, "dkim-domain")), dkim_identity=_first(fields, "dkim-identity"),
        dkim_selector=_first(fields, "dkim-selector"), original_headers=original_headers,
        **_original_summary(original_message), arf=True, warnings=tuple(warnings))


def _lower(value: str | None) -> str | None:
    return value.lower() if value else None


def _original_summary(message: Message | None) -> dict[str, str | None]:
    if message is None:
        return {"original_from": None, "original_subject": None, "original_message_id": None}
    return {"original_from": (message.get("From") or "")[:_MAX_CHARS] or None,
            "original_subject": (message.subject or "")[:_MAX_CHARS] or None,
            "original_message_id": (message.message_id or "")[:_MAX_CHARS] or None}


def looks_like_plain_failure(text: str) -> bool:
    """A text part that is a DMARC failure report without ARF (Exim and similar)."""
    return bool(_PLAIN_MARKER.search(text[:20000]))


def from_plain_text(source: str, text: str) -> FailureReport:
    """A failure report from the plain-text variant (no ``message/feedback-report`` part).

    Exim writes ``Sender Domain``, ``Sender IP Address``, ``Received date``,
    ``SPF Alignment``, ``DKIM Alignment`` and ``DMARC Results``, then a copy
    of the received headers; it is an authentication failure report
    (RFC 6591 ``Feedback-Type: auth-failure``).
    """
    body = text.replace("\r\n", "\n")
    headers: str | None = None
    split = _HEADER_COPY.search(body)
    if split:
        headers = body[split.end():].strip("\n")[:_MAX_HEADERS] or None
        body = body[: split.start()]
    fields = _fields(body, _TEXT_FIELD)
    raw_ip = _first(fields, "sender ip address", "source-ip", "source ip")
    source_ip = _ip(raw_ip)
    if source_ip is None:
        raise ReportParseError("plain-text failure report without a usable sender IP address")
    domain = _first(fields, "sender domain", "reported-domain")
    arrival = _first(fields, "received date", "arrival-date")
    spf_aligned = (_first(fields, "spf alignment") or "").lower() in ("yes", "pass", "true")
    dkim_aligned = (_first(fields, "dkim alignment") or "").lower() in ("yes", "pass", "true")
    alignment = ",".join(name for name, ok in (("dkim", dkim_aligned), ("spf", spf_aligned)) if ok) or "none"
    original = None
    if headers:
        try:
            original = parse_message(headers.encode("utf-8", "replace"))
        except MessageError:  # an unparsable header copy only loses the summary fields
            original = None
    return FailureReport(
        source=source, feedback_type="auth-failure", arrival_date=arrival, arrival_time=_unix(arrival),
        source_ip=source_ip, reported_domain=(domain.lower().rstrip("."),) if domain else (),
        auth_failure="dmarc", identity_alignment=alignment,
        original_mail_from=None, original_headers=headers, **_original_summary(original), arf=False,
        warnings=("no machine-readable ARF part: read from the plain text",))
