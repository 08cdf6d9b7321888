"""Amazon SES event notifications in JSON (bounce, delivery, complaint).

Amazon SES reports the fate of a message it sent as a JSON object mailed to the
sender, either directly or inside an Amazon SNS envelope (``{"Type":
"Notification", "Message": "<the SES object as a JSON string>", ...}``). The
SES object carries ``notificationType`` (or ``eventType`` for event
publishing): ``Bounce``, ``Delivery`` or ``Complaint``; the per-recipient data
mirror RFC 3464 section 2.3 (``action``, ``status``, ``diagnosticCode`` for a
bounce, ``smtpResponse`` for a delivery) and the ``mail`` object names the
original (``source``, ``destination``, ``commonHeaders``, ``headers``).

Bounded: only the first :data:`MAX_JSON` characters are decoded, at most
:data:`MAX_ITEMS` recipients and header fields are read, and a hostile nesting
depth is an unreadable notification, not an error.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from mailwarden.bounces.dsn import clean_address
from mailwarden.bounces.results import OriginalMessage
from mailwarden.errors import MessageError
from mailwarden.message import parse_message

MAX_JSON = 512 * 1024
MAX_ITEMS = 1000
_MAX_FIELD = 4000
_TYPES = {"bounce": "Bounce", "delivery": "Delivery", "complaint": "Complaint"}
_SIGN = re.compile(r'\\?"(?:notificationType|eventType)\\?"\s*:\s*\\?"(?:Bounce|Delivery|Complaint)\\?"',
                   re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


@dataclass(frozen=True)
class SesRecipient:
    """One recipient of a bounce or delivery notification."""

    address: str
    action: str
    status: str | None
    diagnostic: str | None


@dataclass(frozen=True)
class SesNotification:
    """A decoded SES notification: its type, recipients and the original it is about."""

    notification_type: str  # "Bounce", "Delivery" or "Complaint"
    bounce_type: str | None  # "Permanent", "Transient", "Undetermined" (bounces only)
    recipients: tuple[SesRecipient, ...]
    reporting_mta: str | None
    feedback_type: str | None  # complaintFeedbackType (complaints only)
    user_agent: str | None
    arrival_date: str | None
    source_ip: str | None
    original: OriginalMessage | None


def _decode_first_object(text: str) -> Any:
    """The JSON value starting at the first ``{`` of ``text`` (trailing text ignored).

    Not strict: a mail system may fold a long line inside a JSON string."""
    start = text.find("{")
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder(strict=False).raw_decode(text[start:MAX_JSON])
    except (ValueError, RecursionError):
        return None
    return value


def _ses_object(text: str) -> dict[str, Any] | None:
    """The SES object, unwrapped from an SNS envelope when there is one."""
    value = _decode_first_object(text)
    if isinstance(value, dict) and isinstance(value.get("Message"), str):
        value = _decode_first_object(value["Message"])
    if not isinstance(value, dict):
        return None
    kind = value.get("notificationType") or value.get("eventType")
    return value if isinstance(kind, str) and kind.lower() in _TYPES else None


def _text(value: Any) -> str | None:
    """A JSON string field made safe for a header line or a report: bounded, controls folded."""
    if not isinstance(value, str) or not value.strip():
        return None
    return _CONTROL.sub(" ", value[:_MAX_FIELD]).strip()


def _items(value: Any) -> list[Any]:
    return value[:MAX_ITEMS] if isinstance(value, list) else []


def _original(mail: Any) -> OriginalMessage | None:
    """The original from the ``mail`` object: its header fields re-assembled and parsed."""
    if not isinstance(mail, dict):
        return None
    lines = []
    for field in _items(mail.get("headers")):
        if isinstance(field, dict):
            name, value = _text(field.get("name")), _text(field.get("value"))
            if name and value is not None and re.fullmatch(r"[!-9;-~]{1,100}", name):
                lines.append(f"{name}: {value}")
    message = None
    if lines:
        try:
            message = parse_message(("\r\n".join(lines) + "\r\n\r\n").encode("utf-8", "replace"))
        except MessageError:
            message = None
    common = mail.get("commonHeaders") if isinstance(mail.get("commonHeaders"), dict) else {}
    froms = [_text(v) for v in _items(common.get("from"))]
    tos = [_text(v) for v in _items(common.get("to"))] or [_text(v) for v in _items(mail.get("destination"))]
    from_ = clean_address(froms[0]) if froms and froms[0] else None
    to = clean_address(tos[0]) if tos and tos[0] else None
    if message is not None:
        from_ = message.from_addresses[0].address if message.from_addresses else from_
        to = message.addresses("To")[0].address if message.addresses("To") else to
    source = _text(mail.get("source"))
    return OriginalMessage(
        from_=from_, to=to, subject=_text(common.get("subject")) or (message.subject if message else None),
        message_id=(message.message_id if message else None) or _text(common.get("messageId")),
        headers_found=message is not None or bool(from_ or to), body_returned=False,
        source="ses-notification", message=message,
        envelope_from=clean_address(source) if source else None)


def _bounce_recipients(bounce: dict[str, Any]) -> list[SesRecipient]:
    out = []
    for item in _items(bounce.get("bouncedRecipients")):
        if not isinstance(item, dict) or not _text(item.get("emailAddress")):
            continue
        diagnostic = _text(item.get("diagnosticCode"))
        if diagnostic and ";" in diagnostic[:20]:
            diagnostic = diagnostic.split(";", 1)[1].strip()  # "smtp; 550 ..." (RFC 3464 section 2.3.6)
        out.append(SesRecipient(clean_address(_text(item["emailAddress"]) or ""),
                                (_text(item.get("action")) or "failed").lower(),
                                _text(item.get("status")), diagnostic))
    return out


def _delivery_recipients(delivery: dict[str, Any]) -> list[SesRecipient]:
    response = _text(delivery.get("smtpResponse"))
    return [SesRecipient(clean_address(address), "delivered", None, response)
            for address in (_text(v) for v in _items(delivery.get("recipients"))) if address]


def parse_ses_notification(text: str) -> SesNotification | None:
    """Decode an SES notification from a message's text, or ``None`` when it is not one."""
    if not _SIGN.search(text, 0, MAX_JSON):
        return None
    ses = _ses_object(text)
    if ses is None:
        return None
    kind = _TYPES[str(ses.get("notificationType") or ses.get("eventType")).lower()]
    section = ses.get(kind.lower())
    section = section if isinstance(section, dict) else {}
    if kind == "Bounce":
        recipients = _bounce_recipients(section)
    elif kind == "Delivery":
        recipients = _delivery_recipients(section)
    else:  # the complainants: RFC 5965 section 3.2 Original-Rcpt-To
        recipients = [SesRecipient(clean_address(address), "complained", None, None) for address in
                      (_text(v.get("emailAddress")) for v in _items(section.get("complainedRecipients"))
                       if isinstance(v, dict)) if address]
    mail = ses.get("mail") if isinstance(ses.get("mail"), dict) else {}
    mta = _text(section.get("reportingMTA"))
    return SesNotification(
        notification_type=kind,
        bounce_type=_text(section.get("bounceType")) if kind == "Bounce" else None,
        recipients=tuple(recipients),
        reporting_mta=mta.split(";", 1)[-1].strip() if mta else None,
        feedback_type=_text(section.get("complaintFeedbackType")) if kind == "Complaint" else None,
        user_agent=_text(section.get("userAgent")),
        arrival_date=_text(section.get("arrivalDate")),
        source_ip=_text(mail.get("sourceIp")),
        original=_original(mail),
    )
