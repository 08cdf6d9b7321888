"""The per-message evaluation service behind ``mailwarden check`` (SPEC section 5):
SPF + DKIM + ARC + DMARC on one message and the Authentication-Results line to add.

It orchestrates the engine packages (``spf``, ``dkim``, ``arc``, ``dmarc``,
``authres``) and is shared by ``diagnose`` and the benchmarks.
"""

from mailwarden.check.pipeline import CheckResult, Envelope, check_message, envelope_from_message

__all__ = ["CheckResult", "Envelope", "check_message", "envelope_from_message"]
