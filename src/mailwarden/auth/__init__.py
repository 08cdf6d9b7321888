"""The front door to the protocol engine (SPEC section 11, DESIGN "One front door").

:class:`Authenticator` is the session (resolver, cache, clock) and runs the one
per-message pipeline; :class:`AuthReport` is what it reports (``mailwarden check``).
"""

from mailwarden.auth.report import AuthReport, Envelope, envelope_from_message
from mailwarden.auth.session import Authenticator

__all__ = ["AuthReport", "Authenticator", "Envelope", "envelope_from_message"]
