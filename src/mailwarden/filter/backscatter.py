"""Evidence for the backscatter guard (SPEC sections 8 and 14).

A bounce, delay notice or auto-reply to a local recipient is about mail that
really left here only when

* **BATV** (draft-levine-smtp-batv section 5): every local envelope recipient
  carries a ``prvs=`` tag that verifies with our key — the same
  :func:`mailwarden.bounces.batv.verify` that ``mailwarden bounce`` and
  ``batv verify`` use, applied to the SMTP recipient the MTA reported (in the
  milter there is no Delivered-To yet, and the message's own headers are the
  sender's claims);
* or the notification returns the original (which
  :func:`mailwarden.bounces.backscatter_verdict` did not already call
  backscatter) **and** a DKIM signature of a local domain on that original
  verifies (RFC 6376 section 6).  The verdict's other signs (Received hops,
  an unverified ``d=``) are the sender's text: the verdict itself says
  ``unknown`` for them, and at the door unknown is not enough.

Feedback reports (ARF, RFC 5965) are not notifications about delivery and
are left alone.  A returned original with headers only cannot carry a
verifiable signature: such bounces pass only with BATV.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailwarden.filter.decision import NOT_A_NOTIFICATION, BackscatterEvidence, Transaction

if TYPE_CHECKING:
    from mailwarden.filter.config import FilterConfig
    from mailwarden.filter.engine import Engine
    from mailwarden.message.model import Message

_AUTOREPLY_HINTS = ("auto-submitted", "x-autoreply", "x-autorespond", "precedence", "x-auto-response-suppress",
                    "x-failed-recipients")


def might_be_notification(message: Message, tx: Transaction) -> bool:
    """Cheap pre-check: the null sender, or a header that auto-replies and DSNs carry."""
    if tx.mail_from in ("", "<>"):
        return True
    names = message.fields_by_name
    if any(name in names for name in _AUTOREPLY_HINTS):
        return True
    content_type = (message.get("Content-Type") or "").lower()
    return "report" in content_type


async def backscatter_evidence(config: FilterConfig, engine: Engine, message: Message, tx: Transaction,
                               *, batv_key: bytes | None, now: float | None = None) -> BackscatterEvidence:
    """Decide whether the guard applies and whether the message proves it is about our own mail."""
    import time

    from mailwarden.bounces import analyze_bounce, backscatter_verdict
    from mailwarden.bounces.batv import verify

    local_rcpts = [r for r in tx.recipients if config.is_local(r.rpartition("@")[2])]
    if not local_rcpts or not might_be_notification(message, tx):
        return NOT_A_NOTIFICATION
    report = analyze_bounce(message)
    if not report.is_notification or report.kind == "feedback-report":
        return NOT_A_NOTIFICATION
    kind = report.kind
    if batv_key is not None:
        clock = time.time() if now is None else now
        results = [verify(r, batv_key, clock) for r in local_rcpts]
        bad = [x for x in results if x.result != "valid"]
        if not bad:
            return BackscatterEvidence(True, True, kind=kind, reason=f"BATV tag of {results[0].address} is valid")
        first = bad[0]
        # an unsigned recipient may still be proven by its original (below); a forged or expired tag may not
        if first.result != "unsigned":
            return BackscatterEvidence(True, False, kind=kind, reason=f"BATV {first.result}: {first.detail}")
    verdict = backscatter_verdict(report, (), config.local_domains, now=now, notification=message)
    original = report.original.message if report.original is not None and report.original.headers_found else None
    if verdict.verdict == "backscatter" or original is None:
        why = verdict.evidence[-1] if verdict.evidence else "no original message returned"
        return BackscatterEvidence(True, False, kind=kind, reason=why)
    signatures = await engine.verify_dkim(original, now=now)
    own = [s for s in signatures if config.is_local(getattr(s, "domain", None))]
    if any(s.result == "pass" for s in own):
        signer = next(s.domain for s in own if s.result == "pass")
        return BackscatterEvidence(True, True, kind=kind, reason=f"the returned original carries a valid DKIM "
                                                                  f"signature of {signer}")
    if any(s.result == "temperror" for s in own):
        return BackscatterEvidence(True, False, temperror=True, kind=kind,
                                   reason="the DKIM key of the returned original did not answer")
    why = ("the returned original carries no DKIM signature of a local domain" if not own
           else f"the returned original's DKIM signature of {own[0].domain} does not verify ({own[0].result})")
    return BackscatterEvidence(True, False, kind=kind, reason=why)
