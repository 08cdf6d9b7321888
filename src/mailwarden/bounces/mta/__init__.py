"""Non-standard bounces: MTA signatures and recipient extraction from bounce text."""

from mailwarden.bounces.mta.formats import Structured, apache_james, fml_error
from mailwarden.bounces.mta.scan import Found, scan_recipients
from mailwarden.bounces.mta.signatures import (
    body_looks_like_bounce,
    identify_mta,
    looks_delayed,
    sender_looks_automated,
    subject_looks_like_bounce,
)

__all__ = [
    "Found",
    "Structured",
    "apache_james",
    "body_looks_like_bounce",
    "fml_error",
    "identify_mta",
    "looks_delayed",
    "scan_recipients",
    "sender_looks_automated",
    "subject_looks_like_bounce",
]
