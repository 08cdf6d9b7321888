"""The synchronous library functions of SPEC section 11.

Each call opens one :class:`~mailwarden.auth.Authenticator` (resolver, cache,
clock), runs on a private event loop and closes it again; a program checking
many messages keeps one ``Authenticator`` open instead.  Every returned object
has ``to_json()``, equal to the ``--json`` output of the matching command.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from mailwarden.errors import MailwardenError

if TYPE_CHECKING:
    from mailwarden.allowlist.results import ParsedAllowlist
    from mailwarden.audit.results import AuditReport
    from mailwarden.auth.report import AuthReport
    from mailwarden.diagnose.boundary import TrustedRelays
    from mailwarden.diagnose.results import Diagnosis
    from mailwarden.dns import DNSSource
    from mailwarden.message.source import MessageSource

T = TypeVar("T")

AllowlistSource = str | os.PathLike[str] | bytes


def _run(job: Coroutine[Any, Any, T]) -> T:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(job)
    job.close()
    raise MailwardenError("called from a running event loop: use 'async with mailwarden.Authenticator()' there")


def authenticate(
    message: MessageSource,
    ip: str | None = None,
    helo: str | None = None,
    mail_from: str | None = None,
    *,
    dns: DNSSource = None,
    nameserver: str | None = None,
    authserv_id: str | None = None,
    now: float | None = None,
    dmarc_mode: str = "rfc9989",
) -> AuthReport:
    """SPF, DKIM, ARC and DMARC for one message (``mailwarden check``, SPEC section 5).

    ``message``: bytes, text, or a path-like to read; ``dns``: a snapshot file or
    dict, a resolver, or ``None`` for live DNS.  ``to_json()`` of the report is
    ``mailwarden check --json``.
    """
    from mailwarden.auth import Authenticator

    async def job() -> AuthReport:
        async with Authenticator(dns, nameserver=nameserver, authserv_id=authserv_id, dmarc_mode=dmarc_mode) as auth:
            return await auth.authenticate(message, ip=ip, helo=helo, mail_from=mail_from, now=now)

    return _run(job())


def diagnose(
    message: MessageSource,
    me: Sequence[str] = (),
    domains: Sequence[str] = (),
    *,
    trusted_authserv_ids: Sequence[str] = (),
    trusted_relays: Sequence[str] | TrustedRelays = (),
    trusted_sealers: Sequence[str] = (),
    allowlist: ParsedAllowlist | AllowlistSource | None = None,
    dns: DNSSource = None,
    nameserver: str | None = None,
    now: float | None = None,
) -> Diagnosis:
    """Was the owner's account used, or was the address forged? (``mailwarden diagnose``, SPEC section 6).

    ``me``/``domains`` name the owner; ``allowlist``: the spam filter's allowlist as
    a file path or its bytes (any format ``mailwarden allowlist`` reads), or parsed.
    ``to_json()`` of the result is ``mailwarden diagnose --json``.
    """
    from mailwarden.auth import Authenticator
    from mailwarden.diagnose.service import diagnose_message
    from mailwarden.message.source import load_message

    parsed_allowlist = _allowlist(allowlist)
    parsed = load_message(message)
    if isinstance(me, str) or isinstance(domains, str):
        raise MailwardenError("me and domains are sequences of strings, not one string")

    async def job() -> Diagnosis:
        async with Authenticator(dns, nameserver=nameserver) as auth:
            return await diagnose_message(auth, parsed, me=me, domains=domains,
                                          trusted_authserv_ids=trusted_authserv_ids, trusted_relays=trusted_relays,
                                          trusted_sealers=trusted_sealers, allowlist=parsed_allowlist, now=now)

    return _run(job())


def audit(
    domain: str,
    selectors: Sequence[str] = (),
    *,
    dns: DNSSource = None,
    nameserver: str | None = None,
    probe_catch_all: bool = False,
    smtp_port: int = 25,
    smtp_timeout: float = 8.0,
    provider: str | None = None,
    no_mail: bool = False,
) -> AuditReport:
    """Audit a domain's SPF, DKIM, DMARC, MX and catch-all set-up (``mailwarden audit``, SPEC section 7).

    ``to_json()`` of the report is ``mailwarden audit --json`` (``elapsed_seconds`` aside).
    """
    from mailwarden.audit.service import audit_domain, normalize_audit_domain
    from mailwarden.auth import Authenticator

    name = normalize_audit_domain(domain)
    if isinstance(selectors, str):
        selectors = (selectors,)

    async def job() -> AuditReport:
        async with Authenticator(dns, nameserver=nameserver) as auth:
            return await audit_domain(auth.resolver, name, selectors=tuple(selectors),
                                      probe_catch_all=probe_catch_all, smtp_port=smtp_port, provider=provider,
                                      no_mail=no_mail, smtp_timeout=smtp_timeout)

    return _run(job())


def _allowlist(source: ParsedAllowlist | AllowlistSource | None) -> ParsedAllowlist | None:
    if source is None:
        return None
    from mailwarden.allowlist import parse_allowlist_bytes

    if isinstance(source, bytes):
        return parse_allowlist_bytes(source, "auto")
    if isinstance(source, (str, os.PathLike)):
        from mailwarden.message.source import read_file

        return parse_allowlist_bytes(read_file(source, what="allowlist"), "auto", filename=os.fspath(source))
    return source
