"""Bounce, auto-reply and feedback-report detection: :func:`analyze_bounce`.

Order of decisions:

0. An Amazon SES JSON notification (:mod:`mailwarden.bounces.sesjson`): a
   bounce, a delivery (``delivery-success``) or a complaint
   (``feedback-report``), as its ``notificationType`` says.
1. ARF feedback report (RFC 5965): a ``message/feedback-report`` part,
   ``report-type=feedback-report``, or ARF fields in a text body.
2. RFC 3464 DSN (and RFC 6533 ``message/global-delivery-status``): the
   per-recipient blocks give address, action, status, diagnostic. A DSN whose
   recipients were all ``delivered``/``relayed``/``expanded`` is a
   ``delivery-success``.
3. Non-standard bounce: a known layout read by its structure (Apache James,
   fml; :mod:`mailwarden.bounces.mta.formats`), else a bounce-like sender,
   subject or body, and failed recipients found in the text
   (:mod:`mailwarden.bounces.mta`).
4. RFC 3834 auto-reply (:mod:`mailwarden.bounces.autoreply`).
5. Otherwise ``none``.
"""

from __future__ import annotations

import re
from dataclasses import replace

from mailwarden.bounces import mta
from mailwarden.bounces.arf import looks_like_text_feedback, parse_feedback_fields
from mailwarden.bounces.autoreply import autoreply_evidence
from mailwarden.bounces.dsn import DeliveryStatus, clean_address, parse_delivery_status, recipient_status
from mailwarden.bounces.mime import Part, concatenated_message, walk
from mailwarden.bounces.original import from_parts, from_text
from mailwarden.bounces.reasons import classify
from mailwarden.bounces.results import BounceRecipient, BounceReport, FeedbackReport, OriginalMessage
from mailwarden.bounces.sesjson import SesNotification, parse_ses_notification
from mailwarden.bounces.status import find_all_statuses, find_reply_code, find_status, normalize_status
from mailwarden.message import Message

MAX_RECIPIENTS = 1000
_DS_TYPES = ("message/delivery-status", "message/global-delivery-status")
_TAG = re.compile(r"<[^>]{0,2000}>")
_STYLE = re.compile(r"<(style|script)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_ACTIONS = {"failed": "failed", "failure": "failed", "fail": "failed", "delayed": "delayed",
            "delay": "delayed", "delivered": "delivered", "relayed": "relayed", "expanded": "expanded"}


def _html_to_text(html: str) -> str:
    import html as html_mod

    text = _STYLE.sub(" ", html[:500_000])
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>|</li>|</h\d>", "\n", text)
    return html_mod.unescape(_TAG.sub(" ", text))


def _report_text(parts: tuple[Part, ...]) -> str:
    """The human-readable part(s) of the notification (depth 0)."""
    plain = [p.text for p in parts if p.depth == 0 and p.mime_type in ("text/plain", "text/enriched", "text")
             and p.text]
    if plain:
        return "\n".join(plain)
    html = [p.text for p in parts if p.depth == 0 and p.mime_type == "text/html" and p.text]
    if html:
        return "\n".join(_html_to_text(h) for h in html)
    other = [p.text for p in parts if p.depth == 0 and p.text and p.content_type.maintype == "text"
             and p.mime_type not in ("text/rfc822-headers",)]
    return "\n".join(other)


def _normalize_action(action: str | None, status: str | None) -> str:
    if action:
        for prefix, value in _ACTIONS.items():
            if action.startswith(prefix):
                return value
    if status:
        return {"2": "delivered", "4": "delayed"}.get(status[0], "failed")
    return "failed"


def _own_addresses(message: Message) -> set[str]:
    own = {a.address.lower() for a in message.from_addresses}
    for name in ("To", "Reply-To", "Sender", "Cc"):
        own.update(a.address.lower() for a in message.addresses(name))
    if message.return_path:
        own.add(message.return_path.lower())
    return own


def _failure_status(text: str | None) -> str | None:
    """The first failure code (4.x.x/5.x.x) in ``text``: a transcript's 2.x.x replies are skipped."""
    status = find_status(text or "")
    if status and status[0] == "2":
        status = next((s for s in find_all_statuses(text or "") if s[0] in "45"), None)
    return status


def _line_about(text: str, address: str) -> str:
    """The line of the notification naming ``address`` and the one after it (a per-recipient reason)."""
    if not address or not text:
        return ""
    index = text.lower().find(address.lower())
    if index < 0:
        return ""
    start = text.rfind("\n", 0, index) + 1
    end = text.find("\n", index)
    end = len(text) if end < 0 else end
    following = text.find("\n", end + 1)
    return text[start: len(text) if following < 0 else following][:2000]


def _better_status(status: str | None, diagnostic: str | None, text: str, address: str, single: bool) -> str | None:
    """A more specific code than a generic X.0.0 or X.4.7 Status field.

    RFC 3463 section 3.5 asks that X.4.7 (delivery time expired) be replaced, when
    possible, by the code of the problem met when delivery was attempted; X.0.0
    says only the class. The specific code comes from the diagnostic, the
    notification's line naming the recipient, or (one recipient) the whole text.
    """
    if status is None or not (status.endswith(".0.0") or status[2:] == "4.7"):
        return status
    if status.endswith(".0.0") and status in find_all_statuses(diagnostic or ""):
        return status  # the remote server itself said only X.0.0
    sources = [diagnostic or "", _line_about(text, address)] + ([text] if single else [])
    for source in sources:
        found = [s for s in find_all_statuses(source) if s[0] == status[0]]
        if status[2:] == "4.7":
            found = [s for s in found if s[2:] != "4.7"]
            if found:
                return found[-1]
        else:
            found = [s for s in found if not s.endswith(".0.0")]
            if found:
                return found[0]
    return status


def _dsn_recipients(ds: DeliveryStatus, text: str) -> list[BounceRecipient]:
    out = []
    single = len(ds.recipients) == 1
    for rec in ds.recipients:
        address = rec.address or ""
        status = recipient_status(rec)
        diagnostic = rec.diagnostic
        action = _normalize_action(rec.action, status)
        if status is None and action in ("failed", "delayed"):
            status = _failure_status(text) if text else None
        reason = classify(status, diagnostic, action, text[:5000], diagnostic_type=rec.diagnostic_type)
        if action == "delayed" and reason in ("undefined",):
            reason = "expired"
        if action in ("failed", "delayed"):
            status = _better_status(status, diagnostic, text[:20000], address, single)
        out.append(BounceRecipient(address, action, status, diagnostic, reason, rec.remote_mta))
    return out


_INLINE_DSN = re.compile(r"^(?:Reporting-MTA|Original-Envelope-Id|Final-Recipient)[ \t]*:", re.IGNORECASE | re.MULTILINE)
_INLINE_FIELDS = re.compile(r"^Final-Recipient[ \t]*:(?:.*\n){1,6}?\s*(?:Action|Status)[ \t]*:",
                            re.IGNORECASE | re.MULTILINE)


def _inline_delivery_status(text: str) -> DeliveryStatus | None:
    """RFC 3464 fields pasted into the text (a report whose MIME structure was lost)."""
    sample = text[:200_000]
    start = _INLINE_DSN.search(sample)
    if start is None or _INLINE_FIELDS.search(sample, start.start()) is None:
        return None
    ds = parse_delivery_status(sample[start.start():])
    return ds if ds.recipients else None


def _scanned_recipients(text: str, message: Message, original: OriginalMessage | None,
                        delayed: bool) -> tuple[list[BounceRecipient], int]:
    exclude = _own_addresses(message)
    if original and original.message is not None:
        exclude.update(a.address.lower() for a in original.message.from_addresses)
        if original.envelope_from:
            exclude.add(original.envelope_from.lower())
    failed = [a.strip() for v in message.get_all("X-Failed-Recipients") for a in v.split(",") if "@" in a]
    found, total = mta.scan_recipients(text, exclude - {a.lower() for a in failed})
    if failed:
        by_key = {f.address.lower(): f for f in found}
        found = [by_key.get(a.lower()) or mta.Found(a, "", 0) for a in failed]
        total = max(total, len(found))
    return _found_recipients(found, text, delayed), total


def _found_recipients(found: list[mta.Found], text: str, delayed: bool,
                      reason: str | None = None) -> list[BounceRecipient]:
    """Recipients found in a non-standard bounce's text, with the status and reason their
    diagnostic (or, for a single recipient, the whole text) gives; ``reason`` when the
    layout itself states it."""
    out = []
    whole_status = _failure_status(text)
    context = text[:5000]
    decided: dict[tuple[str | None, str | None], str] = {}  # recipients sharing one diagnostic
    for item in found:
        diagnostic = item.diagnostic or None
        status = _failure_status(diagnostic)
        if status is None and len(found) == 1:
            status = whole_status
        if status is None:
            code = find_reply_code(diagnostic or "") or (find_reply_code(text) if len(found) == 1 else None)
            if code and code[0] in "45":
                status = f"{code[0]}.0.0"
        action = "delayed" if delayed else "failed"
        why = reason or decided.get((status, diagnostic))
        if why is None:
            why = decided[(status, diagnostic)] = classify(status, diagnostic, action, context)
        out.append(BounceRecipient(clean_address(item.address), action, status, diagnostic, why))
    return out


def _overall_reason(recipients: list[BounceRecipient]) -> str | None:
    for rec in recipients:
        if rec.action in ("failed", "delayed") and rec.reason and rec.reason != "undefined":
            return rec.reason
    return recipients[0].reason if recipients else None


def _text_reason(text: str, delayed: bool) -> str:
    """The reason a bounce states when no recipient could be named: read from its whole text."""
    return classify(_failure_status(text), None, "delayed" if delayed else "failed", text[:5000])


def _ses_report(ses: SesNotification, notes: list[str]) -> BounceReport:
    """A report from an Amazon SES notification: per-recipient fields as in RFC 3464 section 2.3."""
    original = ses.original
    if ses.notification_type == "Complaint":
        source = original.envelope_from if original else None
        feedback = FeedbackReport(ses.feedback_type or "abuse", ses.user_agent, None, source,
                                  tuple(r.address for r in ses.recipients), ses.source_ip, (), ses.arrival_date, ())
        return BounceReport(False, "feedback-report", (), None, original, mta="amazonses",
                            feedback=feedback, notes=tuple(notes))
    recipients = []
    for rec in ses.recipients[:MAX_RECIPIENTS]:
        status = normalize_status(rec.status) or find_status(rec.diagnostic or "")
        action = _normalize_action(rec.action, status)
        if action in ("failed", "delayed") and status is None:
            code = find_reply_code(rec.diagnostic or "")
            status = f"{code[0]}.0.0" if code and code[0] in "45" else None
        reason = classify(status, rec.diagnostic, action)
        recipients.append(BounceRecipient(rec.address, action, status, rec.diagnostic, reason))
    success = bool(recipients) and all(r.action in ("delivered", "relayed", "expanded") for r in recipients)
    notes.append("Amazon SES notification (JSON)")
    return BounceReport(
        not success, "delivery-success" if success else "non-standard", tuple(recipients),
        _overall_reason(recipients) or ("undefined" if not success else None), original, mta="amazonses",
        reporting_mta=ses.reporting_mta, recipients_total=len(ses.recipients),
        recipients_truncated=len(ses.recipients) > len(recipients), notes=tuple(notes))


def analyze_bounce(message: Message, *, _nested: bool = False) -> BounceReport:
    """Recognise and parse a bounce, delay notice, success DSN, auto-reply or ARF report.

    A report wrapped whole in a ``message/rfc822`` part of a notification from a
    mail system (some gateways do this) is read one level down, once.
    """
    tree = walk(message)
    parts = tree.parts
    notes = []
    if tree.truncated:
        notes.append("MIME structure truncated: too many parts")
    if tree.max_depth_reached:
        notes.append("nested messages beyond the depth limit were not read")
    if concatenated_message(message):
        notes.append("the file holds more messages after this one (an mbox); only the first was read")
    text = _report_text(parts)
    if not text and not parts and message.body:
        # a multipart declaration whose boundary never occurs: read the body as text
        text = message.body[:500_000].decode("utf-8", "replace").replace("\r\n", "\n")
    top_ct = (message.get("Content-Type") or "").lower()
    report_type = ""
    m = re.search(r"report-type\s*=\s*\"?([a-z0-9-]+)", top_ct)
    if m:
        report_type = m.group(1)
    if text.lstrip()[:1] == "{" and (ses := parse_ses_notification(text)) is not None:
        return _ses_report(ses, notes)
    inline, inline_offset = from_text(text)
    original = from_parts(parts) or inline
    region = text[:inline_offset]

    # 1. ARF, and the feedback loops that predate it (Hotmail JMRP, Apple's unsubscribe)
    fb_parts = [p for p in parts if p.mime_type == "message/feedback-report" and p.depth == 0]
    jmrp = any(p.depth == 0 and p.message is not None and p.message.get("X-HmXmrOriginalRecipient") is not None
               for p in parts)
    unsubscribe = (message.get("X-Apple-Unsubscribe") or "").strip().lower() == "true"
    if fb_parts or report_type == "feedback-report" or jmrp or unsubscribe or (
            looks_like_text_feedback(text) and not any(p.mime_type in _DS_TYPES for p in parts)):
        source = fb_parts[0].text if fb_parts and fb_parts[0].text else text
        feedback = parse_feedback_fields(source or "")
        if feedback.feedback_type is None and (jmrp or unsubscribe):
            feedback = replace(feedback, feedback_type="abuse" if jmrp else "opt-out")
        return BounceReport(False, "feedback-report", (), None, original, mta=None,
                            feedback=feedback, notes=tuple(notes))

    # 2. DSN
    ds_parts = [p for p in parts if p.mime_type in _DS_TYPES and p.depth == 0 and p.text]
    reporting = None
    if ds_parts:
        recipients: list[BounceRecipient] = []
        total = 0
        for part in ds_parts:
            ds = parse_delivery_status(part.text or "")
            reporting = reporting or ds.message_field("reporting-mta")
            total += ds.total_recipients
            recipients.extend(_dsn_recipients(ds, region))
        recipients = [r for r in recipients if r.address][:MAX_RECIPIENTS]
        if recipients:
            actions = {r.action for r in recipients}
            success = actions <= {"delivered", "relayed", "expanded"}
            kind = "delivery-success" if success else "dsn"
            return BounceReport(
                not success, kind, tuple(recipients), _overall_reason(recipients), original,
                mta=mta.identify_mta(message, text), reporting_mta=strip_type_value(reporting),
                recipients_total=total, recipients_truncated=total > len(recipients), notes=tuple(notes))
        notes.append("delivery-status part without usable recipient fields; read the text instead")
    elif (inline_ds := _inline_delivery_status(text)) is not None:
        recipients = [r for r in _dsn_recipients(inline_ds, region) if r.address][:MAX_RECIPIENTS]
        if recipients and any(r.action in ("failed", "delayed") for r in recipients):
            notes.append("delivery-status fields read from the text (no message/delivery-status part)")
            return BounceReport(
                True, "dsn", tuple(recipients), _overall_reason(recipients), original,
                mta=mta.identify_mta(message, text),
                reporting_mta=strip_type_value(inline_ds.message_field("reporting-mta")),
                recipients_total=inline_ds.total_recipients,
                recipients_truncated=inline_ds.total_recipients > len(recipients), notes=tuple(notes))

    # 2b. A whole report forwarded as an attachment by a mail system
    if not _nested and mta.sender_looks_automated(message):
        for part in parts:
            inner = part.message
            if part.depth == 0 and inner is not None and inner.content_type == "multipart/report":
                nested = analyze_bounce(inner, _nested=True)
                if nested.kind != "none":
                    return replace(nested, notes=(*nested.notes, "the report was attached to another notification"))

    # 3. Non-standard bounce: a known layout first, then the signals of any bounce
    subject = message.subject or ""
    structured = mta.apache_james(region) or mta.fml_error(message, region)
    if structured is not None:
        recipients = _found_recipients(list(structured.recipients), region, False, structured.reason)
        return BounceReport(
            True, "non-standard", tuple(recipients),
            _overall_reason(recipients) or structured.reason or "undefined", original, mta=structured.mta,
            recipients_total=len(recipients), notes=tuple(notes))
    signals = sum((mta.sender_looks_automated(message), mta.subject_looks_like_bounce(message),
                   mta.body_looks_like_bounce(region), bool(ds_parts) or report_type == "delivery-status",
                   message.get("X-Failed-Recipients") is not None))
    auto = autoreply_evidence(message, region)
    if signals >= 1:
        delayed = mta.looks_delayed(region, subject)
        recipients, total = _scanned_recipients(region, message, original, delayed)
        strong_header = mta.sender_looks_automated(message) or mta.subject_looks_like_bounce(message)
        accepted = (recipients and (strong_header or signals >= 2)) or (signals >= 2 and not auto)
        bounce_headers = report_type == "delivery-status" or bool(ds_parts) or (
            mta.sender_looks_automated(message) and mta.subject_looks_like_bounce(message))
        accepted = accepted or (bounce_headers and signals >= 2)
        if accepted and (not auto or bounce_headers or (recipients and mta.sender_looks_automated(message))):
            writer = mta.identify_mta(message, text)
            if writer == "googlegroups":  # the group refused the post (unknown group or not a member)
                recipients = [replace(r, reason="rejected") for r in recipients]
            reason = _overall_reason(recipients) or _text_reason(region, delayed)
            return BounceReport(
                True, "non-standard", tuple(recipients), reason,
                original, mta=writer, recipients_total=total,
                recipients_truncated=total > len(recipients), notes=tuple(notes))

    # 4. Auto-reply
    if auto:
        return BounceReport(False, "autoreply", (), "vacation", original, autoreply_evidence=auto,
                            notes=tuple(notes))
    return BounceReport(False, "none", (), None, None, notes=tuple(notes))


def strip_type_value(value: str | None) -> str | None:
    if not value:
        return None
    return value.split(";", 1)[1].strip() if ";" in value else value.strip()

