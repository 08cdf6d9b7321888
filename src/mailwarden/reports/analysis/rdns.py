"""Reverse DNS of sending sources, forward-confirmed, concurrent and cached.

A PTR record is controlled by whoever controls the address block, so a spoofer can
name their host ``mail.sendgrid.net``.  A name is therefore only *confirmed* when
one of its A/AAAA records leads back to the address (forward-confirmed reverse DNS,
as SPF's ``ptr`` mechanism checks in RFC 7208 section 5.5), and only a confirmed
name is used to recognise a provider.  Lookups go through the project's
:class:`~mailwarden.dns.base.Resolver`, so ``--dns`` snapshots and ``--dns-record``
work; at most :data:`CONCURRENCY` questions are in flight, and one
:class:`ReverseLookup` answers each address once.
"""

from __future__ import annotations

import asyncio
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from mailwarden.dns.base import Resolver, normalize_name, reverse_name, valid_query_name

#: Questions in flight at once.
CONCURRENCY = 16
#: PTR names checked per address (the rest are ignored, as RFC 7208 section 4.6.4 does).
MAX_NAMES = 3


@dataclass(frozen=True)
class ReverseName:
    """The reverse DNS of one address.

    ``name`` is the first PTR name (or ``None``), ``confirmed`` says whether that
    name's A/AAAA records include the address, ``failed`` that DNS did not answer.
    """

    ip: str
    name: str | None
    confirmed: bool
    failed: bool = False

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "confirmed": self.confirmed, "failed": self.failed}


class ReverseLookup:
    """Looks up and caches reverse names through one resolver."""

    def __init__(self, resolver: Resolver, *, concurrency: int = CONCURRENCY) -> None:
        self.resolver = resolver
        self.cache: dict[str, ReverseName] = {}
        self.semaphore = asyncio.Semaphore(concurrency)

    async def names(self, ips: Iterable[str]) -> dict[str, ReverseName]:
        """Reverse names of ``ips`` (invalid addresses are skipped)."""
        wanted = [ip for ip in dict.fromkeys(ips) if ip not in self.cache and _valid_ip(ip)]
        results = await asyncio.gather(*(self._lookup(ip) for ip in wanted))
        for result in results:
            self.cache[result.ip] = result
        return {ip: self.cache[ip] for ip in ips if ip in self.cache}

    async def _query(self, name: str, rdtype: str):  # type: ignore[no-untyped-def]
        async with self.semaphore:
            return await self.resolver.query(name, rdtype)

    async def _lookup(self, ip: str) -> ReverseName:
        address = ipaddress.ip_address(ip)
        answer = await self._query(reverse_name(ip), "PTR")
        if answer.failed:
            return ReverseName(ip, None, False, failed=True)
        names = [normalize_name(str(r)) for r in answer.records if isinstance(r, str)]
        names = [n for n in names if valid_query_name(n)][:MAX_NAMES]
        if not names:
            return ReverseName(ip, None, False)
        rdtype = "A" if address.version == 4 else "AAAA"
        forwards = await asyncio.gather(*(self._query(name, rdtype) for name in names))
        for name, forward in zip(names, forwards, strict=True):
            if any(_same_address(address, a) for a in forward.addresses()):
                return ReverseName(ip, name, True)
        return ReverseName(ip, names[0], False)


def _valid_ip(ip: str) -> bool:
    try:
        ipaddress.ip_address(ip)
    except ValueError:
        return False
    return True


def _same_address(address: ipaddress.IPv4Address | ipaddress.IPv6Address, text: str) -> bool:
    try:
        return ipaddress.ip_address(text) == address
    except ValueError:
        return False
