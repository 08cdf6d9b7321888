"""What one authentication of a message reports: SPF + DKIM + ARC + DMARC, and
the Authentication-Results header to add (SPEC sections 5 and 11, RFC 8601 section 5).

The SMTP envelope comes from the caller (``ip``/``helo``/``mail_from``) or,
for what is missing, from the message: the Return-Path for MAIL FROM
(RFC 5321 section 4.4) and, for the client, the topmost Received header that
names an IP address, skipping loopback and LMTP hand-offs (the hop our border
MTA wrote: the trust boundary).  The result
says where each value came from.

Results already in the message are never used: every check is computed by
:meth:`mailwarden.auth.Authenticator.authenticate`.  Those that claim our
authserv-id are reported as ignored (:mod:`mailwarden.authres.trust`;
CVE-2019-20790 class).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mailwarden.arc.results import ARCResult
from mailwarden.authres.trust import TrustReport
from mailwarden.dkim.results import DKIMSignatureResult
from mailwarden.dmarc.evaluate import DMARCResult
from mailwarden.spf.results import SPFResult

if TYPE_CHECKING:
    from mailwarden.message.model import Message
    from mailwarden.message.received import ReceivedHop


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

    def to_json(self) -> dict[str, Any]:
        return {
            "ip": self.ip, "helo": self.helo, "mail_from": self.mail_from,
            "source": {"ip": self.ip_source, "helo": self.helo_source, "mail_from": self.mail_from_source},
            "received_hop": self.received_hop,
        }


@dataclass(frozen=True)
class AuthReport:
    """Everything one authentication found (``mailwarden check``, SPEC section 5).

    ``spf`` is always a result: without a client IP it is ``none`` and
    ``spf_skipped`` says why it was not checked.  A step listed in ``timeouts``
    is reported as temperror (SPF, DMARC) or as not checked (DKIM, ARC).
    """

    spf: SPFResult
    spf_skipped: str | None
    dkim: tuple[DKIMSignatureResult, ...]
    arc: ARCResult
    dmarc: DMARCResult
    authentication_results: str
    envelope: Envelope
    trust: TrustReport
    authserv_id: str
    #: Steps that did not finish within the session's step timeout ("spf", "dkim", "arc", "dmarc").
    timeouts: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The ``mailwarden check --json`` object."""
        if self.spf_skipped is None:
            spf = self.spf.to_json()
        else:
            spf = {"result": "none", "domain": None, "explanation": None, "lookups": 0, "void_lookups": 0,
                   "mechanism": None, "problem": self.spf_skipped}
        return {
            "spf": spf,
            "dkim": {"signatures": [s.to_json() for s in self.dkim]},
            "arc": self.arc.to_json(),
            "dmarc": self.dmarc.to_json(),
            "authentication_results": self.authentication_results,
            "envelope": self.envelope.to_json(),
            "trust": self.trust.to_json(),
            "timeouts": list(self.timeouts),
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
