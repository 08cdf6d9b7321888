"""The one place where the filter asks the protocol engine about a message.

Today this runs :func:`mailwarden.check.check_message` with a resolver and an
SPF policy cache owned by the filter process.  Switching to
``mailwarden.Authenticator`` (SPEC section 11) changes only this module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mailwarden.check import CheckResult
    from mailwarden.dns.base import Resolver
    from mailwarden.message.model import Message


class Engine:
    """Authenticates messages with one resolver and bounded caches shared by all of them."""

    def __init__(self, resolver: Resolver, *, authserv_id: str, dmarc_mode: str = "rfc9989") -> None:
        from mailwarden.spf.cache import RecordCache

        self.resolver = resolver
        self.authserv_id = authserv_id
        self.dmarc_mode = dmarc_mode
        self._spf_cache = RecordCache()

    async def authenticate(self, message: Message, *, ip: str | None, helo: str | None,
                           mail_from: str | None, now: float | None = None) -> CheckResult:
        """SPF, DKIM, ARC and DMARC of ``message`` as received from ``ip`` (RFC 8601 header included)."""
        from mailwarden.check import check_message

        return await check_message(self.resolver, message, authserv_id=self.authserv_id, ip=ip, helo=helo,
                                   mail_from=mail_from if mail_from is not None else "", mode=self.dmarc_mode,
                                   now=now, spf_cache=self._spf_cache)

    async def verify_dkim(self, message: Message, now: float | None = None) -> tuple[Any, ...]:
        """Every DKIM-Signature of ``message`` (used on the original a bounce returns)."""
        from mailwarden.dkim import verify_message

        return await verify_message(self.resolver, message, now=now)
