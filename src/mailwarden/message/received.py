"""The Received chain (RFC 5321 section 4.4) parsed into hops.

Real headers vary wildly (Postfix, Exim, Sendmail, qmail, Exchange, Gmail), so
the parser is a set of small, linear-time patterns over a bounded prefix of the
header, each filling one field when it matches.  Nothing here is trusted: the
diagnosis decides which hops were written by the owner's provider.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

#: Only this much of one Received header is examined.
MAX_PARSE = 4096

_FROM = re.compile(r"(?:^|\s)from\s+(\S{1,255})", re.I)
_BY = re.compile(r"(?:^|[\s)])by\s+([^\s;()]{1,255})", re.I)
_WITH = re.compile(r"(?:^|[\s)])with\s+([A-Za-z0-9_-]{1,40})", re.I)
_ID = re.compile(r"(?:^|[\s)])id\s+<?([^\s;()>]{1,120})", re.I)
_FOR = re.compile(r"(?:^|[\s)])for\s+<?([^\s;()<>]{1,320})>?", re.I)
_BRACKET_IP = re.compile(r"\[(?:IPv6:)?([0-9A-Fa-f:.]{2,60})(?:%[^\]]{0,20})?\]")
_PAREN_IP = re.compile(r"\(([0-9A-Fa-f:.]{7,45})\)")
_HELO = re.compile(r"\b(?:helo|HELO)[=\s]\s*([^\s)\]]{1,255})")
_AUTH_SENDER = re.compile(r"(?:authenticated\s+sender|auth(?:enticated)?\s*(?:user|as|=))\s*[:=]?\s*<?([^\s)>;]{1,320})", re.I)
_AUTH_HINT = re.compile(r"\bauthenticated\b|\bAUTH=|\(Authenticated\b|\bsmtp\.auth\b", re.I)
_RDNS_BEFORE_IP = re.compile(r"\(\s*([A-Za-z0-9._-]{1,255})\s*\[")


@dataclass(frozen=True)
class ReceivedHop:
    """One Received header. ``index`` 0 is the topmost (most recent) header."""

    index: int
    raw: str
    from_host: str | None  # as the sender introduced itself (HELO/EHLO), or the rDNS name
    helo: str | None  # explicit HELO when the header distinguishes it
    reverse_dns: str | None  # name the receiver found for the IP
    ip: str | None
    by_host: str | None
    protocol: str | None  # SMTP, ESMTP, ESMTPS, ESMTPSA, LMTP, HTTP, ...
    id: str | None
    for_address: str | None
    timestamp: datetime | None
    authenticated: bool
    auth_user: str | None

    @property
    def ip_address(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        if self.ip is None:
            return None
        try:
            return ipaddress.ip_address(self.ip)
        except ValueError:
            return None


def _valid_ip(text: str) -> str | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return str(address.ipv4_mapped)
    return str(address)


def blank_comments(text: str) -> str:
    """Replace (nested) comments by spaces of the same length, so positions still line up."""
    out = []
    depth = 0
    escaped = False
    for ch in text:
        if escaped:
            escaped = False
            out.append(" " if depth else ch)
            continue
        if ch == "\\" and depth:
            escaped = True
            out.append(" ")
        elif ch == "(":
            depth += 1
            out.append(" ")
        elif ch == ")" and depth:
            depth -= 1
            out.append(" ")
        else:
            out.append(" " if depth else ch)
    return "".join(out)


def parse_received(value: str, index: int = 0) -> ReceivedHop:
    text = " ".join(value[:MAX_PARSE].split())
    plain_all = blank_comments(text)
    cut = plain_all.rfind(";")
    if cut >= 0:
        head, date_text, plain = text[:cut], text[cut + 1 :], plain_all[:cut]
    else:
        head, date_text, plain = text, "", plain_all
    # "by" (outside comments) separates the sender's part from the receiver's part.
    by_match = _BY.search(plain)
    from_part = head[: by_match.start()] if by_match else head
    from_match = _FROM.search(plain[: by_match.start()] if by_match else plain)
    from_host = from_match.group(1).strip("()[]") if from_match else None
    ip = None
    for pattern in (_BRACKET_IP, _PAREN_IP):
        for m in pattern.finditer(from_part):
            ip = _valid_ip(m.group(1))
            if ip:
                break
        if ip:
            break
    if from_host and ip is None:
        ip = _valid_ip(from_host)
    helo_match = _HELO.search(from_part)
    helo = helo_match.group(1) if helo_match else None
    rdns_match = _RDNS_BEFORE_IP.search(from_part)
    reverse_dns = rdns_match.group(1) if rdns_match else None
    if reverse_dns and reverse_dns.lower() in ("unknown", "helo"):
        reverse_dns = None
    with_match = _WITH.search(plain)
    protocol = with_match.group(1).upper() if with_match else None
    auth_match = _AUTH_SENDER.search(head)
    auth_user = auth_match.group(1) if auth_match else None
    authenticated = bool(
        (protocol and re.fullmatch(r"(?:E?SMTP|LMTP)S?A", protocol))
        or auth_user
        or _AUTH_HINT.search(head)
    )
    id_match = _ID.search(plain)
    for_match = _FOR.search(plain)
    timestamp = None
    if date_text.strip():
        try:
            timestamp = parsedate_to_datetime(date_text.strip()[:100])
        except (TypeError, ValueError, IndexError, OverflowError):
            timestamp = None
    return ReceivedHop(
        index=index,
        raw=value,
        from_host=from_host.lower() if from_host else None,
        helo=helo.lower() if helo else None,
        reverse_dns=reverse_dns.lower() if reverse_dns else None,
        ip=ip,
        by_host=by_match.group(1).lower() if by_match else None,
        protocol=protocol,
        id=id_match.group(1) if id_match else None,
        for_address=for_match.group(1) if for_match else None,
        timestamp=timestamp,
        authenticated=authenticated,
        auth_user=auth_user,
    )
