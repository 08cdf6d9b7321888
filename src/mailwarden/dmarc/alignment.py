"""Identifier alignment: the one definition (RFC 9989 section 4.4, RFC 7489 section 3.1).

An identifier (an SPF-authenticated domain, a DKIM ``d=``) is aligned with the
RFC 5322.From domain when the two are equal (strict), or when they share one
Organizational Domain (relaxed).  The Organizational Domain depends on the mode:

* ``rfc9989``: the DNS tree walk, :func:`~mailwarden.dmarc.discovery.tree_walk_organizational_domain`;
* ``rfc7489``: the Public Suffix List, :func:`~mailwarden.psl.psl_organizational_domain`.

DMARC evaluation, ``diagnose`` and ``audit`` all ask an :class:`Aligner`, so a
verdict can never contradict the DMARC result it quotes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailwarden.dmarc.discovery import LookupCache, normalize_domain, tree_walk_organizational_domain
from mailwarden.dmarc.record import MODES

if TYPE_CHECKING:
    from mailwarden.dns.base import Resolver
    from mailwarden.psl import SuffixList

#: At most this many distinct identifiers get an Organizational Domain tree walk per Aligner
#: (each walk is up to eight DNS questions; a hostile message cannot make it unbounded).
MAX_ORG_LOOKUPS = 10


class Aligner:
    """Alignment questions of one message (or one audit) in one mode, sharing their DNS look-ups.

    ``lookups``: the ``_dmarc`` memo to share with policy discovery (give it the
    session cache to keep answers across messages).
    """

    def __init__(self, resolver: Resolver, mode: str = "rfc9989", *, lookups: LookupCache | None = None,
                 suffixes: SuffixList | None = None, max_lookups: int = MAX_ORG_LOOKUPS) -> None:
        if mode not in MODES:
            raise ValueError(f"unknown DMARC mode {mode!r} (expected {' or '.join(MODES)})")
        self.resolver = resolver
        self.mode = mode
        self.lookups = lookups if lookups is not None else LookupCache()
        self.suffixes = suffixes
        self._orgs: dict[str, str] = {}
        self._budget = max_lookups

    def know(self, domain: str, organizational_domain: str) -> None:
        """Record an Organizational Domain found elsewhere (by policy discovery)."""
        self._orgs[domain] = organizational_domain

    async def organizational_domain(self, domain: str) -> str:
        """The Organizational Domain of a normalized ``domain`` in this mode."""
        org = self._orgs.get(domain)
        if org is None:
            if self.mode == "rfc7489":
                from mailwarden.psl import psl_organizational_domain

                org = psl_organizational_domain(domain, self.suffixes) or domain
            else:
                org = await tree_walk_organizational_domain(self.resolver, domain, self.lookups)
            self._orgs[domain] = org
        return org

    async def aligned(self, identifier: str | None, from_domain: str | None, *, strict: bool = False) -> bool:
        """``identifier`` aligns with ``from_domain``: equal, or (relaxed) the same Organizational Domain."""
        if not identifier or not from_domain:
            return False
        other = normalize_domain(identifier)
        domain = normalize_domain(from_domain)
        if other is None or domain is None:
            return False
        if other == domain:
            return True
        if strict:
            return False
        org = await self.organizational_domain(domain)
        if not (other == org or other.endswith("." + org)):
            return False  # outside the From domain's Organizational Domain: no look-up needed
        if other not in self._orgs:
            if self._budget <= 0:
                return False
            self._budget -= 1
        return await self.organizational_domain(other) == org

