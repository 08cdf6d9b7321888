"""The one place where the filter asks the protocol engine about a message.

It keeps one :class:`mailwarden.Authenticator` session (SPEC section 11) for the
life of a configuration: the resolver and the bounded, TTL-respecting cache
(SPF policies, DKIM keys, DMARC records) are shared by every message.  The
resolver is made here without a session-wide deadline (the filter runs for
weeks; each message has its own time limit) and handed to the session.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailwarden.auth import AuthReport
    from mailwarden.dns.base import Resolver
    from mailwarden.message.model import Message


class Engine:
    """Authenticates messages with one resolver and bounded caches shared by all of them."""

    def __init__(self, resolver: Resolver, *, authserv_id: str, dmarc_mode: str = "rfc9989") -> None:
        from mailwarden.auth import Authenticator

        self.resolver = resolver
        self.authserv_id = authserv_id
        self.session = Authenticator(resolver, authserv_id=authserv_id, dmarc_mode=dmarc_mode)

    async def authenticate(self, message: Message, *, ip: str | None, helo: str | None,
                           mail_from: str | None, now: float | None = None) -> AuthReport:
        """SPF, DKIM, ARC and DMARC of ``message`` as received from ``ip`` (RFC 8601 header included).

        ``mail_from`` is the SMTP envelope sender ("" for ``<>``), never the message's Return-Path.
        """
        return await self.session.authenticate(message, ip=ip, helo=helo,
                                               mail_from=mail_from if mail_from is not None else "", now=now)

    async def verify_dkim(self, message: Message, now: float | None = None) -> tuple[Any, ...]:
        """Every DKIM-Signature of ``message`` (used on the original a bounce returns), keys from the shared cache."""
        from mailwarden.dkim.keys import KeyCache
        from mailwarden.dkim.verify import verify_message

        return await verify_message(self.resolver, message, now=now, key_cache=KeyCache(self.session.cache))
