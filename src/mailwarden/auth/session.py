"""The one front door to the engine: an :class:`Authenticator` session (SPEC section 11).

A session owns the resolver, the clock and one bounded, TTL-respecting
:class:`~mailwarden.cache.Cache` (parsed SPF policies, DKIM keys, DMARC records),
and runs the one per-message pipeline: SPF (RFC 7208), DKIM (RFC 6376) and ARC
(RFC 8617) concurrently, then DMARC (RFC 9989, or RFC 7489 mode) on their
results, then the Authentication-Results line (RFC 8601 section 5).  ``check``,
``diagnose``, the filter and the web app all consume its :class:`AuthReport`;
nothing runs the engines a second time.  Many messages share one session::

    async with Authenticator(dns="dns.json") as auth:
        report = await auth.authenticate(raw, ip="192.0.2.1", helo="mx.example", mail_from="a@example.com")
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from types import TracebackType

from mailwarden.auth.report import AuthReport, Envelope, envelope_from_message
from mailwarden.authres.build import build_authentication_results, default_authserv_id
from mailwarden.authres.trust import untrusted_claims
from mailwarden.cache import Cache, CacheStats, TTLCache
from mailwarden.dmarc.record import MODES
from mailwarden.dns import DNSSource, make_resolver
from mailwarden.dns.base import Resolver
from mailwarden.errors import InputError
from mailwarden.message.source import MessageSource, load_message
from mailwarden.spf.results import SPFResult

#: Why SPF was not checked when the caller gave no client IP and the message names none.
NO_CLIENT_IP = "no client IP: give ip=, or a Received header with an IP address"


class Authenticator:
    """An authentication session: resolver, cache and clock shared by many messages.

    ``dns``: a snapshot file or dict (SPEC section 4; never touches the network), a
    :class:`~mailwarden.dns.base.Resolver` (the caller keeps ownership and closes it), or
    ``None`` for live DNS through ``nameserver`` (default: the system resolver), with
    ``record`` naming a file to write every answer to.  ``cache``: share one between
    sessions, or let the session make a :class:`~mailwarden.cache.TTLCache` of
    ``cache_entries`` entries.  ``clock``: the evaluation time when a call gives no ``now``.
    """

    def __init__(
        self,
        dns: DNSSource = None,
        *,
        nameserver: str | None = None,
        record: str | None = None,
        timeout: float = 5.0,
        authserv_id: str | None = None,
        dmarc_mode: str = "rfc9989",
        cache: Cache | None = None,
        cache_entries: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if dmarc_mode not in MODES:
            raise InputError(f"unknown DMARC mode {dmarc_mode!r} (expected {' or '.join(MODES)})")
        self._owns_resolver = not isinstance(dns, Resolver)
        self.resolver: Resolver = make_resolver(dns, nameserver, record, timeout=timeout)
        self.cache: Cache = cache if cache is not None else TTLCache(max_entries=cache_entries)
        self.authserv_id = authserv_id or default_authserv_id()
        self.dmarc_mode = dmarc_mode
        self.clock = clock

    async def __aenter__(self) -> Authenticator:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the resolver the session opened (flushes a recording); one given by the caller stays open."""
        if self._owns_resolver:
            await self.resolver.aclose()

    def stats(self) -> CacheStats:
        return self.cache.stats()

    async def authenticate(
        self,
        message: MessageSource,
        *,
        ip: str | None = None,
        helo: str | None = None,
        mail_from: str | None = None,
        envelope: Envelope | None = None,
        now: float | None = None,
        authserv_id: str | None = None,
        dmarc_mode: str | None = None,
    ) -> AuthReport:
        """Run SPF, DKIM, ARC and DMARC on ``message`` and build the Authentication-Results line.

        The SMTP facts not given (``ip``, ``helo``, ``mail_from``) come from the message
        (:func:`~mailwarden.auth.report.envelope_from_message`); a service that located the
        trust boundary itself passes the whole ``envelope``.  Protocol outcomes are results:
        this raises only :class:`~mailwarden.errors.InputError` for a message that cannot be parsed.
        """
        from mailwarden.arc.verify import verify_chain
        from mailwarden.dkim.keys import KeyCache
        from mailwarden.dkim.verify import MessageContext, verify_message
        from mailwarden.dmarc.evaluate import evaluate_dmarc
        from mailwarden.spf.evaluate import evaluate_spf

        parsed = load_message(message)
        mode = dmarc_mode or self.dmarc_mode
        if mode not in MODES:
            raise InputError(f"unknown DMARC mode {mode!r} (expected {' or '.join(MODES)})")
        when = self.clock() if now is None else now
        server = authserv_id or self.authserv_id
        resolver, cache = self.resolver, self.cache
        env = envelope if envelope is not None else envelope_from_message(parsed, ip, helo, mail_from)

        async def run_spf() -> SPFResult | None:
            if env.ip is None:
                return None
            return await evaluate_spf(resolver, env.ip, env.mail_from or "", env.helo or "", cache=cache, now=when)

        # DKIM and ARC share one key fetcher and one body-hash context: no key is fetched twice.
        keys, context = KeyCache(cache), MessageContext(parsed)
        spf, dkim, arc = await asyncio.gather(
            run_spf(),
            verify_message(resolver, parsed, now=when, key_cache=keys, context=context),
            verify_chain(resolver, parsed, when, key_cache=keys, context=context),
        )
        skipped = None
        if spf is None:
            skipped = NO_CLIENT_IP
            spf = SPFResult("none", "", problem=skipped)
        dmarc = await evaluate_dmarc(resolver, parsed, spf if skipped is None else None, dkim, mode=mode,
                                     cache=cache)
        header = build_authentication_results(server, spf=spf, dkim=dkim, dmarc=dmarc, arc=arc,
                                              mail_from=env.mail_from, helo=env.helo)
        return AuthReport(spf, skipped, tuple(dkim), arc, dmarc, header, env, untrusted_claims(parsed, server),
                          server)
