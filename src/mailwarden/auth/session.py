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
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, TypeVar

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

if TYPE_CHECKING:
    from mailwarden.arc.results import ARCResult
    from mailwarden.dkim.results import DKIMSignatureResult
    from mailwarden.dmarc.alignment import Aligner
    from mailwarden.dmarc.discovery import PolicyDiscovery
    from mailwarden.dmarc.evaluate import DMARCResult
    from mailwarden.message.model import Message

#: Why SPF was not checked when the caller gave no client IP and the message names none.
NO_CLIENT_IP = "no client IP: none was given and no Received header names one"
#: Seconds each engine step (SPF, DKIM, ARC, DMARC) may take before it counts as a DNS timeout.
STEP_TIMEOUT = 45.0

T = TypeVar("T")


class Authenticator:
    """An authentication session: resolver, cache and clock shared by many messages.

    ``dns``: a snapshot file or dict (SPEC section 4; never touches the network), a
    :class:`~mailwarden.dns.base.Resolver` (the caller keeps ownership and closes it), or
    ``None`` for live DNS through ``nameserver`` (default: the system resolver), with
    ``record`` naming a file to write every answer to.  ``cache``: share one between
    sessions, or let the session make a :class:`~mailwarden.cache.TTLCache` of
    ``cache_entries`` entries.  ``clock``: the evaluation time when a call gives no ``now``.
    ``step_timeout``: seconds each engine step may take (a hung DNS server makes it a
    temperror listed in :attr:`AuthReport.timeouts`, never a hang).
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
        step_timeout: float | None = None,
    ) -> None:
        if dmarc_mode not in MODES:
            raise InputError(f"unknown DMARC mode {dmarc_mode!r} (expected {' or '.join(MODES)})")
        self._owns_resolver = not isinstance(dns, Resolver)
        self.resolver: Resolver = make_resolver(dns, nameserver, record, timeout=timeout)
        self.cache: Cache = cache if cache is not None else TTLCache(max_entries=cache_entries)
        self.authserv_id = authserv_id or default_authserv_id()
        self.dmarc_mode = dmarc_mode
        self.clock = clock
        self.step_timeout = STEP_TIMEOUT if step_timeout is None else step_timeout

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

    async def bounded(self, step: str, job: Awaitable[T], timeouts: list[str]) -> T | None:
        """``await job`` within :attr:`step_timeout`; on timeout record ``step`` and give None."""
        try:
            return await asyncio.wait_for(job, self.step_timeout)
        except TimeoutError:
            timeouts.append(step)
            return None

    async def authenticate(
        self,
        message: MessageSource,
        *,
        ip: str | None = None,
        helo: str | None = None,
        mail_from: str | None = None,
        envelope: Envelope | None = None,
        receiver: str | None = None,
        skip_spf: str | None = None,
        now: float | None = None,
        authserv_id: str | None = None,
        dmarc_mode: str | None = None,
    ) -> AuthReport:
        """Run SPF, DKIM, ARC and DMARC on ``message`` and build the Authentication-Results line.

        The SMTP facts not given (``ip``, ``helo``, ``mail_from``) come from the message
        (:func:`~mailwarden.auth.report.envelope_from_message`); a service that located the
        trust boundary itself passes the whole ``envelope``, and ``skip_spf`` (why) when the
        envelope cannot be checked.  ``receiver`` is the host name for SPF's ``%{r}`` macro.
        Protocol outcomes are results: this raises only :class:`~mailwarden.errors.InputError`
        for a message that cannot be parsed.
        """
        from mailwarden.arc.verify import verify_chain
        from mailwarden.dkim.keys import KeyCache
        from mailwarden.dkim.verify import MessageContext, verify_message
        from mailwarden.dmarc.evaluate import evaluate_dmarc

        parsed = load_message(message)
        mode = self._mode(dmarc_mode)
        when = self.clock() if now is None else now
        server = authserv_id or self.authserv_id
        resolver, cache = self.resolver, self.cache
        env = envelope if envelope is not None else envelope_from_message(parsed, ip, helo, mail_from)
        if skip_spf is None and env.ip is None:
            skip_spf = NO_CLIENT_IP
        timeouts: list[str] = []

        async def no_spf() -> None:
            return None

        # DKIM and ARC share one key fetcher and one body-hash context: no key is fetched twice.
        keys, context = KeyCache(cache), MessageContext(parsed)
        spf_job = no_spf() if skip_spf is not None else self.spf(env.ip or "", env.mail_from or "", env.helo or "",
                                                                 receiver=receiver, now=when)
        spf, dkim, arc = await asyncio.gather(
            self.bounded("spf", spf_job, timeouts),
            self.bounded("dkim", verify_message(resolver, parsed, now=when, key_cache=keys, context=context),
                         timeouts),
            self.bounded("arc", verify_chain(resolver, parsed, when, key_cache=keys, context=context), timeouts),
        )
        if skip_spf is not None:
            spf = SPFResult("none", "", problem=skip_spf)
        elif spf is None:
            spf = SPFResult("temperror", "", problem="not checked: it timed out")
        signatures: tuple[DKIMSignatureResult, ...] = tuple(dkim or ())
        chain: ARCResult = arc if arc is not None else _arc_timed_out()
        dmarc = await self.bounded(
            "dmarc", evaluate_dmarc(resolver, parsed, spf if skip_spf is None else None, signatures, mode=mode,
                                    cache=cache), timeouts)
        verdict: DMARCResult = dmarc if dmarc is not None else _dmarc_timed_out(mode)
        header = build_authentication_results(server, spf=spf, dkim=signatures, dmarc=verdict, arc=chain,
                                              mail_from=env.mail_from, helo=env.helo)
        return AuthReport(spf, skip_spf, signatures, chain, verdict, header, env, untrusted_claims(parsed, server),
                          server, tuple(timeouts))

    async def spf(self, ip: str, mail_from: str, helo: str, *, receiver: str | None = None,
                  now: float | None = None) -> SPFResult:
        """SPF alone (RFC 7208 sections 2.4 and 4) with the session's cache: one identity of one client."""
        from mailwarden.spf.evaluate import evaluate_spf

        return await evaluate_spf(self.resolver, ip, mail_from, helo, receiver=receiver, cache=self.cache,
                                  now=self.clock() if now is None else now)

    async def dkim(self, message: Message, *, now: float | None = None) -> list[DKIMSignatureResult]:
        """DKIM alone (RFC 6376 section 6) with the session's key cache, e.g. for a returned original."""
        from mailwarden.dkim.keys import KeyCache
        from mailwarden.dkim.verify import verify_message

        return await verify_message(self.resolver, message, now=self.clock() if now is None else now,
                                    key_cache=KeyCache(self.cache))

    async def dmarc_policy(self, domain: str, *, dmarc_mode: str | None = None) -> PolicyDiscovery:
        """The DMARC policy that applies to ``domain`` (RFC 9989 section 4.10), from the session's cache."""
        from mailwarden.dmarc.discovery import LookupCache, discover_policy

        return await discover_policy(self.resolver, domain, self._mode(dmarc_mode), cache=LookupCache(self.cache))

    def aligner(self, dmarc_mode: str | None = None) -> Aligner:
        """Identifier alignment as DMARC defines it in this session's mode (:mod:`mailwarden.dmarc.alignment`)."""
        from mailwarden.dmarc.alignment import Aligner
        from mailwarden.dmarc.discovery import LookupCache

        return Aligner(self.resolver, self._mode(dmarc_mode), lookups=LookupCache(self.cache))

    def _mode(self, dmarc_mode: str | None) -> str:
        mode = dmarc_mode or self.dmarc_mode
        if mode not in MODES:
            raise InputError(f"unknown DMARC mode {mode!r} (expected {' or '.join(MODES)})")
        return mode


def _arc_timed_out() -> ARCResult:
    from mailwarden.arc.results import ARCResult

    return ARCResult("none", 0, reason="not checked: it timed out")


def _dmarc_timed_out(mode: str) -> DMARCResult:
    from mailwarden.dmarc.evaluate import Alignment, DMARCResult

    return DMARCResult("temperror", None, (), None, None, None, "none", Alignment(False, False), None, None, None,
                       "not checked: it timed out", mode, ())
