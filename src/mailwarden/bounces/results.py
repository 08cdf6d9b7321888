"""Frozen result types of bounce analysis (SPEC section 8)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from mailwarden.message import Message

Kind = Literal["dsn", "non-standard", "autoreply", "feedback-report", "delivery-success", "none"]
Action = Literal["failed", "delayed", "delivered", "relayed", "expanded"]
Verdict = Literal["backscatter", "genuine", "unknown"]


@dataclass(frozen=True)
class BounceRecipient:
    """One recipient a notification reports on (RFC 3464 section 2.3)."""

    address: str
    action: str
    status: str | None
    diagnostic: str | None
    reason: str | None = None
    remote_mta: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"address": self.address, "action": self.action, "status": self.status,
                "diagnostic": self.diagnostic, "reason": self.reason, "remote_mta": self.remote_mta}


@dataclass(frozen=True)
class OriginalMessage:
    """The returned original (RFC 3464 section 2: the third part of a report).

    ``message`` is the original parsed with :func:`mailwarden.message.parse_message`
    (raw bytes kept: its Received chain and DKIM-Signature fields can be
    re-verified); ``headers_found`` is false when nothing of it was returned.
    ``body_returned`` says whether its body came back too (a
    ``text/rfc822-headers`` part returns only the header section).
    """

    from_: str | None
    to: str | None
    subject: str | None
    message_id: str | None
    headers_found: bool
    body_returned: bool
    source: str  # "message/rfc822", "text/rfc822-headers", "inline-text", ...
    message: Message | None = field(default=None, repr=False, compare=False)
    envelope_from: str | None = None

    @property
    def dkim_signatures(self) -> list[str]:
        return self.message.get_all("DKIM-Signature") if self.message else []

    def to_json(self) -> dict[str, Any]:
        return {"from": self.from_, "to": self.to, "subject": self.subject, "message_id": self.message_id,
                "headers_found": self.headers_found, "body_returned": self.body_returned,
                "source": self.source, "envelope_from": self.envelope_from,
                "received_hops": len(self.message.received) if self.message else 0,
                "dkim_signatures": len(self.dkim_signatures)}


@dataclass(frozen=True)
class FeedbackReport:
    """An ARF report's machine-readable part (RFC 5965 section 3.1)."""

    feedback_type: str | None
    user_agent: str | None
    version: str | None
    original_mail_from: str | None
    original_rcpt_to: tuple[str, ...]
    source_ip: str | None
    reported_domain: tuple[str, ...]
    arrival_date: str | None
    authentication_results: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"feedback_type": self.feedback_type, "user_agent": self.user_agent, "version": self.version,
                "original_mail_from": self.original_mail_from, "original_rcpt_to": list(self.original_rcpt_to),
                "source_ip": self.source_ip, "reported_domain": list(self.reported_domain),
                "arrival_date": self.arrival_date, "authentication_results": list(self.authentication_results)}


@dataclass(frozen=True)
class BounceReport:
    """Everything :func:`mailwarden.bounces.analyze_bounce` found.

    ``is_bounce`` is true for non-delivery and delay notices (``dsn`` and
    ``non-standard``); auto-replies, feedback reports and success DSNs are
    recognised (``kind``) but are not bounces. ``recipients_total`` counts every
    recipient seen; ``recipients`` holds at most the first 1000
    (``recipients_truncated``).
    """

    is_bounce: bool
    kind: Kind
    recipients: tuple[BounceRecipient, ...]
    reason: str | None
    original: OriginalMessage | None
    mta: str | None = None
    reporting_mta: str | None = None
    autoreply_evidence: tuple[str, ...] = ()
    feedback: FeedbackReport | None = None
    recipients_total: int = 0
    recipients_truncated: bool = False
    notes: tuple[str, ...] = ()

    @property
    def is_notification(self) -> bool:
        """Any automatic reply about a message: bounce, delay, success DSN, auto-reply, ARF."""
        return self.kind != "none"

    def to_json(self) -> dict[str, Any]:
        return {
            "is_bounce": self.is_bounce,
            "kind": self.kind,
            "recipients": [r.to_json() for r in self.recipients],
            "reason": self.reason,
            "original": self.original.to_json() if self.original else None,
            "mta": self.mta,
            "reporting_mta": self.reporting_mta,
            "autoreply_evidence": list(self.autoreply_evidence),
            "feedback": self.feedback.to_json() if self.feedback else None,
            "recipients_total": self.recipients_total,
            "recipients_truncated": self.recipients_truncated,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class BackscatterVerdict:
    """The DNS-free backscatter decision (see :func:`mailwarden.bounces.backscatter_verdict`)."""

    verdict: Verdict
    evidence: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "evidence": list(self.evidence)}
