"""The trust boundary: which Received header the owner's provider wrote on arrival.

Received fields are prepended by each host (RFC 5321 section 4.4), so the
topmost ones were written on the owner's side and everything below the host
that accepted the message from the Internet was written by the sender: it may
be forged and is evidence only.  The boundary hop is found, in this order:

1. ``--trusted-relay`` (host names, ``.domain`` suffixes or CIDRs): walking down
   from the top, a hop is passed over while the host it names as its client is
   a trusted relay; the first hop whose client is outside is the boundary;
2. ``--trusted-authserv-id``: the topmost hop whose ``by`` host is the host that
   stamped the trusted Authentication-Results (RFC 8601 section 2.5);
3. the owner domain's MX hosts: the topmost hop received ``by`` one of them;
4. heuristic: the topmost hop that is not an internal hand-off (LMTP, loopback,
   private or missing client address).

The connecting IP, HELO and envelope sender of the boundary hop are what SPF
(RFC 7208 section 2) must be evaluated with.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mailwarden.diagnose.results import Boundary
from mailwarden.errors import InputError
from mailwarden.message.model import Message
from mailwarden.message.received import ReceivedHop
from mailwarden.psl import host_organization

_ENVELOPE_FROM = re.compile(r"envelope-from\s*[=<]\s*<?([^\s<>;()]{0,320})>?", re.I)
_INTERNAL_PROTOCOLS = frozenset({"LMTP", "LMTPS", "LMTPA", "LMTPSA", "LOCAL", "HTTP", "HTTPS"})

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

#: Addresses of internal hand-offs (RFC 1918, RFC 6598 shared, loopback, link-local, RFC 4193 ULA).
#: Not ``ipaddress.is_private``: that also covers the documentation ranges of RFC 5737/3849.
_LOCAL_NETWORKS: tuple[Network, ...] = tuple(
    ipaddress.ip_network(n)
    for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
              "169.254.0.0/16", "0.0.0.0/8", "::1/128", "fc00::/7", "fe80::/10", "::/128")
)


def is_local_address(ip: str | None) -> bool:
    """True for addresses that never reach the Internet (internal hand-offs)."""
    if not ip:
        return False
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(address.version == n.version and address in n for n in _LOCAL_NETWORKS)


@dataclass(frozen=True)
class TrustedRelays:
    """Parsed ``--trusted-relay`` values: exact host names, domain suffixes and networks."""

    names: frozenset[str] = frozenset()
    suffixes: tuple[str, ...] = ()
    networks: tuple[Network, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.names or self.suffixes or self.networks)

    def name_matches(self, host: str | None) -> bool:
        if not host:
            return False
        host = host.lower().rstrip(".")
        return host in self.names or any(host.endswith(s) for s in self.suffixes)

    def ip_matches(self, ip: str | None) -> bool:
        if not ip or not self.networks:
            return False
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(address.version == n.version and address in n for n in self.networks)

    def trusts_client_of(self, hop: ReceivedHop) -> bool:
        """True when the client that handed this hop over is a trusted relay.

        Only what the receiver wrote counts: the client's IP and verified
        reverse DNS name from its TCP-info (a HELO literal ``[192.0.2.10]``
        claims nothing).  The HELO name alone counts only for internal
        hand-offs (a private or loopback address, or LMTP without one),
        because any sender can say ``HELO mx.provider.example``.
        """
        if hop.ambiguity is not None:
            return False  # a field that reads two ways vouches for nobody
        if hop.tcp_info and (self.ip_matches(hop.ip) or self.name_matches(hop.reverse_dns)):
            return True
        if self.name_matches(hop.from_host) and hop.reverse_dns is None:
            # an internal hand-off (loopback/private address, or LMTP/local without one)
            return is_local_address(hop.ip) if hop.ip else hop.protocol in _INTERNAL_PROTOCOLS
        return False


def parse_trusted_relays(values: Iterable[str]) -> TrustedRelays:
    """``--trusted-relay`` values: ``mx.example``, ``.example`` / ``*.example`` (any host under it), CIDRs or IPs."""
    names: set[str] = set()
    suffixes: list[str] = []
    networks: list[Network] = []
    for raw in values:
        value = raw.strip().lower().rstrip(".")
        if not value:
            raise InputError("an empty trusted relay was given")
        try:
            networks.append(ipaddress.ip_network(value, strict=False))
            continue
        except ValueError:
            pass
        if value.startswith("*."):
            value = value[1:]
        label = value.lstrip(".")
        if not label or not re.fullmatch(r"[a-z0-9_]([a-z0-9_.-]{0,251}[a-z0-9])?", label):
            raise InputError(f"trusted relay {raw!r} is neither a host name, a .domain nor a CIDR")
        if value.startswith("."):
            suffixes.append(value)
        else:
            names.add(value)
    return TrustedRelays(frozenset(names), tuple(suffixes), tuple(networks))


def received_positions(message: Message) -> list[int]:
    """Index in ``message.headers`` of each Received field, topmost first (same order as ``message.received``)."""
    return [i for i, h in enumerate(message.headers) if h.lname == "received"]


def _is_internal(hop: ReceivedHop) -> bool:
    if hop.ambiguity is not None:
        return False  # unreadable: it may be the sender's, so it cannot be skipped as ours
    if hop.protocol in _INTERNAL_PROTOCOLS:
        return True
    if hop.ip_address is None:
        return hop.from_host is None or hop.from_host.startswith("localhost")
    return is_local_address(hop.ip)


def _host_matches(by_host: str | None, names: Iterable[str]) -> bool:
    if not by_host:
        return False
    by_host = by_host.lower().rstrip(".")
    return any(by_host == n.lower().rstrip(".") for n in names)


def _authserv_hop(hops: Sequence[ReceivedHop], ids: Sequence[str]) -> tuple[int | None, str]:
    """The provider's inbound hop by its authserv-id host name *and* position.

    The provider's fields sit above everything the sender wrote, so the walk
    from the top passes only over internal hand-offs and hops whose client is
    one of the provider's own hosts (receiver-verified name); the first hop
    handed over by anyone else ends the provider's part, and a ``by`` naming
    the provider further down was written by the sender.
    """
    orgs = {o for o in (host_organization(i) for i in ids) if o}
    for i, hop in enumerate(hops):
        if _host_matches(hop.by_host, ids):
            return i, ""
        if _is_internal(hop):
            continue
        client = hop.reverse_dns if hop.tcp_info else None
        if client is None or host_organization(client) not in orgs:
            return None, (f"Received header {i + 1} from the top was handed over by "
                          f"{client or hop.ip or 'an unknown client'}, outside the trusted authserv-id's "
                          "servers, before any header written by that host")
    return None, "no Received header was written by the trusted authserv-id host"


def envelope_sender(message: Message, trusted: Sequence[ReceivedHop]) -> str | None:
    """The envelope sender the boundary host saw: Return-Path, else ``envelope-from`` of a trusted hop."""
    if message.return_path is not None:
        return message.return_path
    for hop in trusted:
        match = _ENVELOPE_FROM.search(hop.raw[:4096])
        if match:
            return match.group(1).strip()
    return None


def _helo(hop: ReceivedHop) -> str | None:
    """The HELO/EHLO name: explicit ``helo=`` when recorded, else the name after ``from``."""
    return hop.helo or hop.from_host


def find_boundary(
    message: Message,
    *,
    trusted_relays: TrustedRelays | None = None,
    trusted_authserv_ids: Sequence[str] = (),
    owner_mx_hosts: Sequence[str] = (),
) -> Boundary:
    """Locate the boundary hop (see the module docstring for the order of methods)."""
    hops = message.received
    positions = received_positions(message)
    if not hops:
        return Boundary("none", None, None, None, message.return_path, None, None, (),
                        "the message has no Received headers (a partial paste?)")
    index: int | None = None
    method = "none"
    note = ""
    if trusted_relays:
        for i, hop in enumerate(hops):
            if trusted_relays.trusts_client_of(hop) and i + 1 < len(hops):
                continue
            if trusted_relays.trusts_client_of(hop):
                note = "every Received header names a trusted relay as client; the lowest one is used"
            index, method = i, "trusted-relay"
            break
        if index is not None and index == 0 and not (
            trusted_relays.name_matches(hops[0].by_host) or trusted_relays.trusts_client_of(hops[0])
        ):
            # No trusted relay appears anywhere near the top: the option did not identify the chain.
            index, method = None, "none"
            note = "no Received header mentions a --trusted-relay host"
    if index is None and trusted_authserv_ids:
        found, why = _authserv_hop(hops, trusted_authserv_ids)
        if found is not None:
            index, method = found, "authserv-id"
        else:
            note = note or why
    if index is None and owner_mx_hosts:
        for i, hop in enumerate(hops):
            if _host_matches(hop.by_host, owner_mx_hosts):
                index, method = i, "owner-mx"
                break
    if index is None:
        for i, hop in enumerate(hops):
            if not _is_internal(hop):
                index, method = i, "heuristic"
                break
    if index is None:
        return Boundary("none", None, None, None, envelope_sender(message, hops), None, None, hops,
                        note or "every Received header is an internal hand-off; no external client found")
    hop = hops[index]
    return Boundary(
        method=method,
        hop=hop,
        ip=hop.ip,
        helo=_helo(hop),
        mail_from=envelope_sender(message, hops[: index + 1]),
        receiver=hop.by_host,
        header_position=positions[index] if index < len(positions) else None,
        below=hops[index + 1 :],
        note=note,
    )
