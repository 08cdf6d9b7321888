"""The Received chain (RFC 5321 section 4.4) parsed into hops.

A Received field mixes two authors.  The receiving MTA writes the structure,
its own name after ``by``, the protocol, the date and - in the ``from`` clause -
the *TCP-info* of the connection it accepted (RFC 5321 section 4.4,
``Extended-Domain = Domain FWS "(" TCP-info ")"``).  The client chose
everything else: its HELO/EHLO argument (which Postfix copies with spaces,
brackets and parentheses), the envelope sender and the recipient.  This
parser therefore reads the client's address only from the TCP-info group the
receiver wrote, never from the HELO:

* Postfix, Sendmail, Gmail, generic: ``from HELO (RDNS [IP])`` - the *last*
  TCP-info group of the from clause (the HELO comes first, whatever it holds),
  optionally followed by the receiver's comments (TLS, ``Authenticated
  sender``, ``authenticated bits=0``);
* Exim: ``from RDNS ([IP]:PORT helo=HELO)`` or ``from [IP] (port=N helo=HELO)``;
* Exchange: ``from HELO (IP) by HOST (IP) with Microsoft SMTP Server``;
* qmail: ``from RDNS (HELO name) (IP)``.

A field that cannot be read one way only - unbalanced parentheses, a second
``by`` outside comments, no TCP-info where one is needed - gets an
``ambiguity`` and no client address: nothing downstream may trust it.
Authentication evidence is read only where the receiver writes it (the
protocol word, and comments after the TCP-info or after ``by`` that *start*
with the receiver's wording), never from the HELO or an address.

Everything is linear in the (bounded) length of the field.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from datetime import datetime
from email.utils import parsedate_to_datetime

#: Only this much of one Received header is examined.
MAX_PARSE = 4096

#: The receiver's TCP-info is among this many last comments of the from clause (then TLS, auth notes).
MAX_TRAILING_GROUPS = 6
#: A parenthesis, a backslash pair, or a run of anything else (for the linear top-level scan).
_PIECES = re.compile(r"\\.|[()]|[^()\\]+", re.S)
_WORD = re.compile(r"\S+")
_LITERAL = r"\[(?:IPv6:)?(?P<ip>[0-9A-Fa-f:.]{2,45})\](?::\d{1,5})?"
#: Postfix/Sendmail/Gmail/Exim TCP-info: ``[ident@][rdns[.]] [IP][:port] [(may be forged)] [helo=X] [ident=Y]``.
_TCP_INFO = re.compile(
    r"(?:[^\s@()\[\]]{1,64}@)?(?P<rdns>[A-Za-z0-9_][A-Za-z0-9._-]{0,253}\.?)?\s*" + _LITERAL
    + r"(?:\s+\(may be forged\))?(?:\s+helo=(?P<helo>[^\s()]{1,255}))?(?:\s+ident=[^\s()]{0,64})?",
    re.I,
)
#: Exchange and qmail: a bare address in parentheses.
_BARE_IP = re.compile(r"\[?(?P<ip>[0-9A-Fa-f:.]{3,45})\]?")
#: Exim when the client has no verified name: ``[IP]`` first, then ``(port=N helo=X ident=Y)``.
_EXIM_FIRST = re.compile(r"\[(?:IPv6:)?(?P<ip>[0-9A-Fa-f:.]{2,45})\](?::\d{1,5})?")
_EXIM_PARAMS = re.compile(r"(?:port=\d{1,5})?\s*(?:helo=(?P<helo>[^\s()]{1,255}))?\s*(?:ident=[^\s()]{0,64})?",
                          re.I)
_QMAIL_HELO = re.compile(r"HELO\s+(?P<helo>[^\s()]{1,255})", re.I)
_AUTH_COMMENT = re.compile(
    r"(?:Authenticated\s+sender|authenticated\s+(?:user|as)|auth(?:enticated)?\s*(?:user|as|=)|AUTH:\s*\w+)"
    r"\s*[:=]?\s*<?(?P<user>[^\s)>;,]{1,320})|authenticated\b",
    re.I,
)
_AUTH_PROTOCOL = re.compile(r"(?:E?SMTP|LMTP)S?A")


@dataclass(frozen=True)
class ReceivedHop:
    """One Received header. ``index`` 0 is the topmost (most recent) header.

    ``ip`` and ``reverse_dns`` come only from what the receiving MTA wrote
    (``tcp_info`` says the address came from a TCP-info group); ``helo`` and
    ``from_host`` are the client's own words.  ``ambiguity`` says why the
    field could not be read one way only (then ``ip`` is None).
    """

    index: int
    raw: str
    from_host: str | None  # the word after "from": the HELO, or the receiver's rDNS name (Exim, qmail)
    helo: str | None  # the HELO/EHLO argument as recorded (attacker text)
    reverse_dns: str | None  # name the receiver found for the IP
    ip: str | None
    by_host: str | None
    protocol: str | None  # SMTP, ESMTP, ESMTPS, ESMTPSA, LMTP, HTTP, ...
    id: str | None
    for_address: str | None
    timestamp: datetime | None
    authenticated: bool
    auth_user: str | None
    tcp_info: bool = False
    ambiguity: str | None = None

    @property
    def ip_address(self) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
        if self.ip is None:
            return None
        try:
            return ipaddress.ip_address(self.ip)
        except ValueError:
            return None


def _valid_ip(text: str | None) -> str | None:
    if not text:
        return None
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
    for piece in _PIECES.findall(text):
        if piece == "(":
            depth += 1
            out.append(" ")
        elif piece == ")" and depth:
            depth -= 1
            out.append(" ")
        else:
            out.append(" " * len(piece) if depth else piece)
    return "".join(out)


#: A top-level item: ("word", text) outside parentheses, or ("group", inner text) of a balanced comment.
Item = tuple[str, str]


def _top_level(text: str) -> tuple[list[Item], bool]:
    """Words and comment groups at the top level, and whether every parenthesis was balanced."""
    items: list[Item] = []
    depth = 0
    group: list[str] = []
    balanced = True
    for piece in _PIECES.findall(text):
        if piece == "(":
            if depth:
                group.append(piece)
            depth += 1
        elif piece == ")":
            if not depth:
                balanced = False  # a stray ")" : keep reading words
                continue
            depth -= 1
            if depth:
                group.append(piece)
            else:
                items.append(("group", "".join(group).strip()))
                group = []
        elif depth:
            group.append(piece)
        else:
            items.extend(("word", w) for w in _WORD.findall(piece))
    if depth:
        balanced = False
    return items, balanced


def _keyword(items: list[Item], start: int, word: str) -> int:
    for i in range(start, len(items)):
        kind, value = items[i]
        if kind == "word" and value.lower() == word:
            return i
    return -1


def _next_word(items: list[Item], i: int) -> str | None:
    if i >= 0 and i + 1 < len(items) and items[i + 1][0] == "word":
        return items[i + 1][1]
    return None


@dataclass
class _Client:
    from_host: str | None = None
    helo: str | None = None
    reverse_dns: str | None = None
    ip: str | None = None
    tcp_info: bool = False
    ambiguity: str | None = None
    receiver_groups: tuple[str, ...] = ()  # comments the receiver wrote after the TCP-info


def _read_client(clause: list[Item]) -> _Client:
    """The from clause (items between ``from`` and the receiver's ``by``)."""
    words = [v for k, v in clause if k == "word"]
    first = words[0] if words else None
    info_at = -1
    info: re.Match[str] | None = None
    bare: re.Match[str] | None = None
    groups_seen = 0
    for i in range(len(clause) - 1, -1, -1):  # the receiver's group is the last one that looks like TCP-info
        kind, value = clause[i]
        if kind != "group":
            continue
        groups_seen += 1
        if groups_seen > MAX_TRAILING_GROUPS:
            break
        info = _TCP_INFO.fullmatch(value)
        bare = None if info else _BARE_IP.fullmatch(value)
        if (info and _valid_ip(info.group("ip"))) or (bare and _valid_ip(bare.group("ip"))):
            info_at = i
            break
        info = bare = None
    client = _Client(from_host=first)
    if info_at >= 0:
        before = clause[:info_at]
        client.receiver_groups = tuple(v for k, v in clause[info_at + 1:] if k == "group")
        client.tcp_info = True
        if info is not None:
            client.ip = _valid_ip(info.group("ip"))
            rdns = (info.group("rdns") or "").rstrip(".")
            exim_helo = info.group("helo")
            if exim_helo is not None:  # Exim: "from RDNS ([IP] helo=X)": the first word is the verified name
                client.helo = exim_helo
                client.reverse_dns = first if len(before) == 1 else None
            else:
                client.reverse_dns = rdns if rdns and rdns.lower() not in ("unknown", "helo") else None
                client.helo = " ".join(v if k == "word" else f"({v})" for k, v in before) or None
        else:  # Exchange "(IP)", qmail "(HELO x) (IP)"
            client.ip = _valid_ip(bare.group("ip")) if bare else None
            qmail = next((m for k, v in before if k == "group" for m in [_QMAIL_HELO.fullmatch(v)] if m), None)
            if qmail is not None:
                client.helo = qmail.group("helo")
                client.reverse_dns = first if first and first.lower() != "unknown" and len(words) == 1 else None
            else:
                client.helo = " ".join(v if k == "word" else f"({v})" for k, v in before) or None
        return client
    # No TCP-info group: only Exim's own "from [IP] (port=N helo=X)" form names the client.
    groups = [v for k, v in clause if k == "group"]
    if len(words) == 1 and len(clause) <= 2 and (m := _EXIM_FIRST.fullmatch(words[0])):
        params = [_EXIM_PARAMS.fullmatch(g) for g in groups]
        if groups and all(p is not None and p.group(0).strip() for p in params):
            client.ip = _valid_ip(m.group("ip"))
            client.tcp_info = client.ip is not None
            client.helo = params[0].group("helo") if params[0] is not None else None
            if client.ip is None:
                client.ambiguity = "the address after 'from' is not a valid IP address"
            return client
        client.helo = words[0]
        client.ambiguity = ("the only address is the client's own HELO literal; the receiver recorded no "
                            "connection address")
        return client
    client.helo = " ".join(v if k == "word" else f"({v})" for k, v in clause) or None
    if any("[" in v for v in words) or groups:
        client.ambiguity = "no connection address written by the receiver (TCP-info) could be found"
    return client


def _auth(protocol: str | None, groups: tuple[str, ...]) -> tuple[bool, str | None]:
    """Authenticated submission, read only from what the receiver writes."""
    user = None
    hinted = False
    for g in groups:
        m = _AUTH_COMMENT.match(g)
        if m is None:
            continue
        hinted = True
        if m.group("user") and user is None:
            user = m.group("user")
    return bool((protocol and _AUTH_PROTOCOL.fullmatch(protocol)) or user or hinted), user


def parse_received(value: str, index: int = 0) -> ReceivedHop:
    """One Received field (RFC 5321 section 4.4), read as described in the module docstring."""
    text = " ".join(value[:MAX_PARSE].split())
    cut = text.rfind(";")
    head, date_text = (text[:cut], text[cut + 1:]) if cut >= 0 else (text, "")
    items, balanced = _top_level(head)
    by_at = _keyword(items, 0, "by")
    second_by = _keyword(items, by_at + 1, "by") if by_at >= 0 else -1
    has_from = bool(items) and items[0][0] == "word" and items[0][1].lower() == "from"
    ambiguity = None
    if not balanced:
        ambiguity = "unbalanced parentheses: the receiver's and the sender's text cannot be told apart"
    elif second_by >= 0:
        ambiguity = "two 'by' clauses: the sender's HELO imitates a receiver"
    client = _Client()
    if has_from:
        clause = items[1:by_at] if by_at >= 0 else items[1:]
        client = _read_client(clause)
        ambiguity = ambiguity or client.ambiguity
    receiver = items[by_at + 1:] if by_at >= 0 else items
    by_host = _next_word(items, by_at) if by_at >= 0 else None
    with_at = _keyword(receiver, 0, "with")
    protocol = _next_word(receiver, with_at)
    if protocol is not None:
        protocol = protocol.upper() if re.fullmatch(r"[A-Za-z0-9_-]{1,40}", protocol) else None
    id_word = _next_word(receiver, _keyword(receiver, 0, "id"))
    for_word = _next_word(receiver, _keyword(receiver, 0, "for"))
    receiver_groups = client.receiver_groups + tuple(v for k, v in receiver if k == "group")
    authenticated, auth_user = _auth(protocol, receiver_groups if ambiguity is None else ())
    if ambiguity is not None:
        authenticated = bool(protocol and _AUTH_PROTOCOL.fullmatch(protocol)) and second_by < 0 and balanced
    timestamp = None
    if date_text.strip():
        try:
            timestamp = parsedate_to_datetime(date_text.strip()[:100])
        except (TypeError, ValueError, IndexError, OverflowError):
            timestamp = None
    ip = client.ip if ambiguity is None else None
    return ReceivedHop(
        index=index,
        raw=value,
        from_host=client.from_host.lower()[:255] if client.from_host else None,
        helo=client.helo.lower()[:255] if client.helo else None,
        reverse_dns=client.reverse_dns.lower() if client.reverse_dns and ambiguity is None else None,
        ip=ip,
        by_host=by_host.lower().strip("()[];")[:255] or None if by_host else None,
        protocol=protocol,
        id=id_word.strip("<>;")[:120] if id_word else None,
        for_address=for_word.strip("<>;")[:320] if for_word else None,
        timestamp=timestamp,
        authenticated=authenticated,
        auth_user=auth_user,
        tcp_info=client.tcp_info and ip is not None,
        ambiguity=ambiguity,
    )
