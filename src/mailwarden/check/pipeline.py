"""The full evaluation of one message: SPF + DKIM + ARC + DMARC, and the
Authentication-Results header to add (SPEC section 5, RFC 8601 section 5).

The SMTP envelope comes from the caller (``ip``/``helo``/``mail_from``) or,
for what is missing, from the message: the Return-Path for MAIL FROM
(RFC 5321 section 4.4) and, for the client, the topmost Received header that
names an IP address, skipping loopback and LMTP hand-offs (the hop our border
MTA wrote: the trust boundary).  The result
says where each value came from.

Results already in the message are never used: every check is computed
here.  Those that claim our authserv-id are reported as ignored
(:mod:`mailwarden.authres.trust`; CVE-2019-20790 class).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mailwarden.authres.build import build_authentication_results
from mailwarden.authres.trust import TrustReport, untrusted_claims

if TYPE_CHECKING:
    from mailwarden.dns.base import Resolver
    from mailwarden.message.model import Message
    from mailwarden.message.received import ReceivedHop
    from mailwarden.spf.cache import RecordCache


@dataclass(frozen=True)
class Envelope:
    """The SMTP facts the checks used, and where each came from ("option", "received", "return-path", None)."""

    ip: str | None
    helo: str | None
    mail_from: str | None
    ip_source: str | None
    helo_source: str | None
    mail_from_source: str | None
    received_hop: int | None  # index of the Received header used (0 = topmost)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ip": self.ip, "helo": self.helo, "mail_from": self.mail_from,
            "source": {"ip": self.ip_source, "helo": self.helo_source, "mail_from": self.mail_from_source},
            "received_hop": self.received_hop,
        }


@dataclass(frozen=True)
class CheckResult:
    """Everything ``mailwarden check`` reports."""

    spf: Any  # SPFResult, or None when there was no client IP to check
    spf_skipped: str | None
    dkim: tuple[Any, ...]
    arc: Any
    dmarc: Any  # DMARCResult
    authentication_results: str
    envelope: Envelope
    trust: TrustReport
    authserv_id: str

    def as_dict(self) -> dict[str, Any]:
        if self.spf is not None:
            spf = self.spf.to_json()
        else:
            spf = {"result": "none", "domain": None, "explanation": None, "lookups": 0, "void_lookups": 0,
                   "mechanism": None, "problem": self.spf_skipped}
        return {
            "spf": spf,
            "dkim": {"signatures": [s.as_json() for s in self.dkim]},
            "arc": self.arc.as_json(),
            "dmarc": self.dmarc.as_dict(),
            "authentication_results": self.authentication_results,
            "envelope": self.envelope.as_dict(),
            "trust": self.trust.as_dict(),
        }


def envelope_from_message(message: Message, ip: str | None = None, helo: str | None = None,
                          mail_from: str | None = None) -> Envelope:
    """Fill what the caller did not give from the Return-Path and the trust-boundary Received hop."""
    hop = _border_hop(message) if ip is None else None
    ip_source = helo_source = mail_from_source = None
    if ip is not None:
        ip_source = "option"
    elif hop is not None:
        ip, ip_source = hop.ip, "received"
    if helo is not None:
        helo_source = "option"
    elif ip_source == "received" and hop is not None and (hop.helo or hop.from_host):
        # the HELO of that same hop only: a name from another connection would be meaningless
        helo, helo_source = hop.helo or hop.from_host, "received"
    if mail_from is not None:
        mail_from_source = "option"
    elif message.return_path is not None:
        mail_from, mail_from_source = message.return_path, "return-path"
    used_hop = hop.index if hop is not None and "received" in (ip_source, helo_source) else None
    return Envelope(ip, helo, mail_from, ip_source, helo_source, mail_from_source, used_hop)


def _border_hop(message: Message) -> ReceivedHop | None:
    """The topmost Received hop whose client is the SMTP peer at the border.

    Loopback hops are content filters on the receiving host (amavis, spamd) and LMTP
    hops are the hand-off to the mailbox store: neither is the border client. Hops are
    parsed lazily, at most 100 of them.  A hop that cannot be read one way only (its
    HELO imitates the receiver's words) ends the search: the hops below it may all be
    the sender's, so no client is taken from them.
    """
    from mailwarden.message.received import parse_received

    for index, value in enumerate(message.get_all("Received")[:100]):
        hop = parse_received(value, index)
        if hop.ambiguity is not None:
            return None
        if hop.ip and not _loopback(hop.ip) and hop.protocol != "LMTP":
            return hop
    return None


def _loopback(ip: str) -> bool:
    import ipaddress

    try:
        return ipaddress.ip_address(ip).is_loopback
    except ValueError:
        return False


async def check_message(
    resolver: Resolver,
    message: Message,
    *,
    authserv_id: str,
    ip: str | None = None,
    helo: str | None = None,
    mail_from: str | None = None,
    mode: str = "rfc9989",
    now: float | None = None,
    spf_cache: RecordCache | None = None,
) -> CheckResult:
    """Run every check on ``message`` and build the Authentication-Results line.

    ``spf_cache`` lets a long-running caller (a mail filter) keep parsed SPF
    policies between messages; DKIM keys are fetched once per message.
    """
    from mailwarden.arc import verify_chain
    from mailwarden.dkim import verify_message
    from mailwarden.dkim.keys import KeyCache
    from mailwarden.dkim.verify import MessageContext
    from mailwarden.dmarc import evaluate_dmarc
    from mailwarden.spf import evaluate_spf

    envelope = envelope_from_message(message, ip, helo, mail_from)
    trust = untrusted_claims(message, authserv_id)

    async def run_spf() -> Any:
        if envelope.ip is None:
            return None
        return await evaluate_spf(resolver, envelope.ip, envelope.mail_from or "", envelope.helo or "",
                                  cache=spf_cache, now=now)

    # DKIM and ARC share one key cache and one body-hash context: no key is fetched twice.
    keys, context = KeyCache(), MessageContext(message)
    spf, dkim, arc = await asyncio.gather(
        run_spf(),
        verify_message(resolver, message, now=now, key_cache=keys, context=context),
        verify_chain(resolver, message, now, key_cache=keys, context=context),
    )
    skipped = None if spf is not None else "no client IP: give --ip, or a Received header with an IP address"
    dmarc = await evaluate_dmarc(resolver, message, spf, dkim, mode=mode)
    header = build_authentication_results(
        authserv_id,
        spf=spf if spf is not None else {"result": "none"},
        dkim=dkim,
        dmarc=dmarc,
        arc=arc,
        mail_from=envelope.mail_from,
        helo=envelope.helo,
    )
    return CheckResult(spf, skipped, tuple(dkim), arc, dmarc, header, envelope, trust, authserv_id)
