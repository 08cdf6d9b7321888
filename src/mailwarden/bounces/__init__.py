"""Bounces and backscatter (SPEC section 8).

Public API:

* :func:`analyze_bounce` (``Message`` -> :class:`BounceReport`): DSN (RFC 3464,
  RFC 6533), non-standard bounces, auto-replies (RFC 3834), ARF (RFC 5965),
  success DSNs; the returned original parsed with ``parse_message``.
* :func:`backscatter_verdict`: the DNS-free backscatter decision.
* :mod:`mailwarden.bounces.batv`: BATV ``prvs=`` signing and verification.
"""

from mailwarden.bounces.detect import analyze_bounce
from mailwarden.bounces.results import (
    BackscatterVerdict,
    BounceRecipient,
    BounceReport,
    FeedbackReport,
    OriginalMessage,
)
from mailwarden.bounces.verdict import backscatter_verdict

__all__ = [
    "BackscatterVerdict",
    "BounceRecipient",
    "BounceReport",
    "FeedbackReport",
    "OriginalMessage",
    "analyze_bounce",
    "backscatter_verdict",
]
