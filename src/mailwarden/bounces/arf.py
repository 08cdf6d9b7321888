"""Abuse Reporting Format feedback reports (RFC 5965).

A report is ``multipart/report; report-type=feedback-report`` whose second
part is ``message/feedback-report`` (RFC 5965 section 3.1): a block of
``Name: value`` fields. Some feedback loops (older Hotmail/AOL, Yahoo) send
the fields in a text part, or no machine-readable part at all; those are
recognised by the fields in the body text and ``X-HmXmrOriginalRecipient``
style vendor headers.
"""

from __future__ import annotations

import re

from mailwarden.bounces.results import FeedbackReport

_FIELD = re.compile(r"^([A-Za-z][A-Za-z0-9-]*)[ \t]*:[ \t]*(.*)$")
_FEEDBACK_IN_TEXT = re.compile(
    r"^feedback-type:\s*\S+|failed the published dmarc policy|^\s*dmarc results:", re.IGNORECASE | re.MULTILINE)


def parse_feedback_fields(text: str) -> FeedbackReport:
    """Parse the fields of a ``message/feedback-report`` part (RFC 5965 section 3.1-3.2)."""
    fields: list[tuple[str, str]] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:2000]:
        if line[:1] in (" ", "\t") and fields:
            name, value = fields[-1]
            fields[-1] = (name, value + " " + line.strip())
            continue
        match = _FIELD.match(line.strip())
        if match:
            fields.append((match.group(1).lower(), match.group(2).strip()))

    def first(name: str) -> str | None:
        for key, value in fields:
            if key == name:
                return value
        return None

    def every(name: str) -> tuple[str, ...]:
        return tuple(v for k, v in fields if k == name)

    feedback_type = first("feedback-type")
    return FeedbackReport(
        feedback_type=feedback_type.lower() if feedback_type else None,
        user_agent=first("user-agent"),
        version=first("version"),
        original_mail_from=(first("original-mail-from") or "").strip("<> ") or None,
        original_rcpt_to=tuple(v.strip("<> ") for v in every("original-rcpt-to")),
        source_ip=first("source-ip"),
        reported_domain=every("reported-domain"),
        arrival_date=first("arrival-date") or first("received-date"),
        authentication_results=every("authentication-results"),
    )


def looks_like_text_feedback(text: str) -> bool:
    """A body carrying ARF fields in plain text (non-conforming feedback loops)."""
    return bool(_FEEDBACK_IN_TEXT.search(text[:20000]))
