"""The one place the web app asks the services for answers.

The pages call :func:`diagnose` and :func:`audit` (synchronous, run in a worker
thread by the app) and render what comes back; nothing here decides anything.
They call the services exactly as ``mailwarden diagnose`` / ``mailwarden audit``
do, so the page shows the same answer as the command line.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mailwarden.dns.base import normalize_name
from mailwarden.errors import InputError

_DOMAIN = re.compile(r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{2,63}\.?", re.I)


def make_resolver(dns: Any, *, nameserver: str | None = None) -> Any:
    """A resolver for one request: ``None`` is live DNS; a path or a dict is a
    snapshot (SPEC section 4); anything with ``query`` is used as it is."""
    if dns is None:
        from mailwarden.dns import make_resolver as make_live

        return make_live(None, nameserver, None, timeout=4.0, deadline=20.0)
    if isinstance(dns, str | Path):
        from mailwarden.dns.snapshot import SnapshotResolver

        return SnapshotResolver.from_file(str(dns))
    if isinstance(dns, dict):
        from mailwarden.dns.snapshot import SnapshotResolver

        return SnapshotResolver.from_dict(dns)
    if hasattr(dns, "query"):
        return _Borrowed(dns)
    raise TypeError(f"cannot use {type(dns).__name__} as DNS")


class _Borrowed:
    """A resolver the caller owns: used, never closed here."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    async def query(self, name: str, rdtype: str) -> Any:
        return await self._inner.query(name, rdtype)

    async def aclose(self) -> None:
        return None


def split_identities(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``"dana@fabrikam.example, fabrikam.example"`` -> (addresses, domains).

    :class:`InputError` for an item that is neither an address nor a domain name.
    """
    me: list[str] = []
    domains: list[str] = []
    for item in text.replace(",", " ").replace(";", " ").split()[:20]:
        item = item.strip()
        domain = normalize_name(item.rpartition("@")[2])  # IDNA: "bücher.example" is a domain too
        if not _DOMAIN.fullmatch(domain) or (item.count("@") == 1 and not item.partition("@")[0]):
            shown = item if len(item) <= 60 else item[:60] + "..."
            raise InputError(f"{shown!r} is neither an e-mail address nor a domain name")
        (me if "@" in item else domains).append(item)
    return tuple(me), tuple(domains)


def diagnose(message: bytes, *, me: Sequence[str], domains: Sequence[str] = (),
             trusted_authserv_ids: Sequence[str] = (), dns: Any, nameserver: str | None = None,
             live: bool) -> Any:
    """The SPEC section 6 diagnosis of ``message``; without ``live`` no DNS question leaves the machine."""
    from mailwarden.diagnose.service import diagnose_message
    from mailwarden.message import parse_message

    if not me and not domains:
        raise InputError("enter your e-mail address (or your domain), so the answer can say whether it is you")
    parsed = parse_message(message)
    if live:
        resolver = make_resolver(dns, nameserver=nameserver)
    else:
        from mailwarden.dns.offline import OfflineResolver

        resolver = OfflineResolver()

    async def job() -> Any:
        try:
            return await diagnose_message(resolver, parsed, me=me, domains=domains,
                                          trusted_authserv_ids=trusted_authserv_ids)
        finally:
            await resolver.aclose()

    return asyncio.run(job())


def audit(domain: str, *, selectors: Sequence[str] = (), provider: str | None = None, no_mail: bool = False,
          dns: Any, nameserver: str | None = None) -> Any:
    """The SPEC section 7 audit of ``domain`` (never the SMTP catch-all probe: the page does not
    let a visitor make this server connect to mail servers)."""
    from mailwarden.audit.service import audit_domain, normalize_audit_domain

    name = normalize_audit_domain(domain)
    resolver = make_resolver(dns, nameserver=nameserver)

    async def job() -> Any:
        try:
            return await audit_domain(resolver, name, selectors=tuple(selectors), provider=provider or None,
                                      no_mail=no_mail)
        finally:
            await resolver.aclose()

    return asyncio.run(job())
