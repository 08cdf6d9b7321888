"""The one place the web app asks for answers: the library's front door (SPEC section 11).

The pages call :func:`diagnose` and :func:`audit` (synchronous, run in a worker
thread by the app) and render what comes back; nothing here decides anything.
They are ``mailwarden.diagnose`` / ``mailwarden.audit``, so the page shows the
same answer as ``mailwarden diagnose --json`` and ``mailwarden audit --json``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from mailwarden.dns.base import normalize_name
from mailwarden.errors import InputError

_DOMAIN = re.compile(r"(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?\.)+[a-z0-9-]{2,63}\.?", re.I)


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
    """The SPEC section 6 diagnosis of ``message``; without ``live`` no DNS question leaves the
    machine (:class:`~mailwarden.dns.offline.OfflineResolver`: the verdict rests on the provider's
    own Authentication-Results)."""
    import mailwarden
    from mailwarden.dns.offline import OfflineResolver

    if not me and not domains:
        raise InputError("enter your e-mail address (or your domain), so the answer can say whether it is you")
    if not live:
        dns = OfflineResolver()
    return mailwarden.diagnose(message, me=tuple(me), domains=tuple(domains),
                               trusted_authserv_ids=tuple(trusted_authserv_ids), dns=dns,
                               nameserver=nameserver if dns is None else None)


def audit(domain: str, *, selectors: Sequence[str] = (), no_mail: bool = False, dns: Any,
          nameserver: str | None = None) -> Any:
    """The SPEC section 7 audit of ``domain`` (never the SMTP catch-all probe: the page does not
    let a visitor make this server connect to mail servers)."""
    import mailwarden

    return mailwarden.audit(domain, tuple(selectors), no_mail=no_mail, dns=dns,
                            nameserver=nameserver if dns is None else None)
