"""Address lists of From, Sender, Reply-To, To, Cc (RFC 5322 section 3.4).

A hand-written tokenizer rather than ``email.utils``: it must be linear-time
on hostile input, keep comments out of domains (``user@example.net(.example.com)``
is ``example.net``, the CVE-2020-12272 class), understand group syntax,
obsolete routes, RFC 2047 display names and IDN domains, and report every
mailbox of a multi-address From.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from mailwarden.message.encoded_words import decode_header_text
from mailwarden.message.lexical import scan_comment, scan_quoted

#: Hard cap on addresses taken from one header (a hostile To with 1M entries).
MAX_ADDRESSES = 1000
_SPECIALS = set(',:;<>@[]"()\\')


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox. ``domain`` is lower-case Unicode; ``domain_ascii`` its A-label form."""

    display_name: str
    local_part: str
    domain: str
    comment: str = ""

    @property
    def address(self) -> str:
        return f"{self.local_part}@{self.domain}" if self.domain else self.local_part

    @property
    def domain_ascii(self) -> str:
        return to_ascii_domain(self.domain)

    def __str__(self) -> str:
        return self.address


def to_ascii_domain(domain: str) -> str:
    """A-label (punycode) form of a domain; unchanged when already ASCII or not encodable."""
    if domain.isascii():
        return domain.lower()
    try:
        return domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        return domain.lower()


def to_unicode_domain(domain: str) -> str:
    if "xn--" not in domain.lower():
        return domain.lower()
    try:
        return domain.encode("ascii").decode("idna").lower()
    except UnicodeError:
        return domain.lower()


# token kinds: "atom", "qs" (quoted string), "comment", "dlit" (domain literal), or a special char
Token = tuple[str, str]


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in " \t\r\n":
            i += 1
        elif ch == '"':
            i, content = scan_quoted(text, i)
            tokens.append(("qs", content))
        elif ch == "(":
            i, content = scan_comment(text, i)
            tokens.append(("comment", content))
        elif ch == "[":
            j = text.find("]", i)
            j = n if j < 0 else j + 1
            tokens.append(("dlit", text[i:j]))
            i = j
        elif ch in _SPECIALS:
            tokens.append((ch, ch))
            i += 1
        else:
            j = i
            while j < n and text[j] not in _SPECIALS and text[j] not in " \t\r\n":
                j += 1
            tokens.append(("atom", text[i:j]))
            i = j
    return tokens


def _addr_spec(tokens: list[Token]) -> tuple[str, str, str] | None:
    """(local, domain, comment) from the tokens of an addr-spec, comments removed."""
    comments = [v for k, v in tokens if k == "comment"]
    words = [(k, v) for k, v in tokens if k != "comment"]
    at = max((i for i, (k, _) in enumerate(words) if k == "@"), default=-1)
    if at < 0:
        return None
    local = "".join(_quote_local(v) if k == "qs" else v for k, v in words[:at])
    domain = "".join(v for _, v in words[at + 1 :])
    if not local and not domain:
        return None
    return local, domain.strip().rstrip(".").lower(), " ".join(comments)


def _quote_local(value: str) -> str:
    if value and all(c not in _SPECIALS and c not in ' \t' for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _phrase(tokens: list[Token]) -> str:
    words = [v for k, v in tokens if k in ("atom", "qs", ".", "dlit") or k == "@"]
    return decode_header_text(" ".join(w for w in words if w)).strip()


def _mailbox(tokens: list[Token]) -> Address | None:
    if not tokens:
        return None
    try:
        lt = next(i for i, (k, _) in enumerate(tokens) if k == "<")
    except StopIteration:
        lt = -1
    if lt >= 0:
        gt = next((i for i in range(lt + 1, len(tokens)) if tokens[i][0] == ">"), len(tokens))
        inner = tokens[lt + 1 : gt]
        colon = max((i for i, (k, _) in enumerate(inner) if k == ":"), default=-1)
        if colon >= 0:  # obsolete route: <@a,@b:user@c>
            inner = inner[colon + 1 :]
        spec = _addr_spec(inner)
        display = _phrase(tokens[:lt])
        trailing = [v for k, v in tokens[:lt] + tokens[gt + 1 :] if k == "comment"]
        if spec is None:
            local = "".join(v for k, v in inner if k != "comment")
            if not local:
                return None
            return Address(display, local, "", " ".join(trailing))
        local, domain, comment = spec
        return Address(display, local, to_unicode_domain(domain), " ".join(c for c in [comment, *trailing] if c))
    spec = _addr_spec(tokens)
    if spec is None:
        return None
    local, domain, comment = spec
    return Address(decode_header_text(comment).strip(), local, to_unicode_domain(domain), comment)


def parse_address_list(text: str, limit: int = MAX_ADDRESSES) -> tuple[Address, ...]:
    """Every mailbox in an address-list or mailbox-list, groups flattened."""
    tokens = tokenize(text[: 256 * 1024])
    result: list[Address] = []
    current: list[Token] = []
    in_angle = False

    def flush() -> None:
        mailbox = _mailbox(current)
        if mailbox is not None and len(result) < limit:
            result.append(mailbox)
        current.clear()

    for token in tokens:
        kind = token[0]
        if kind == "<":
            in_angle = True
        elif kind == ">":
            in_angle = False
        if not in_angle and kind == ",":
            flush()
        elif not in_angle and kind == ":" and not any(k == "@" for k, _ in current):
            current.clear()  # group display name: members follow
        elif not in_angle and kind == ";":
            flush()
        else:
            current.append(token)
    flush()
    return tuple(result)


def parse_single_address(text: str) -> Address | None:
    """The one address of Return-Path, Sender, or an envelope sender; ``<>`` gives None."""
    found = parse_address_list(text, limit=1)
    return found[0] if found else None


# --------------------------------------------------------------------------- the From field, read once
#: Dots that IDNA (UTS #46) maps to "." but a plain parser keeps inside one label.
_ODD_DOTS = "\u3002\uff0e\uff61"
_ANY_DOMAIN = re.compile(r"@\s*([^\s\x00-\x1f@<>()\[\],;:\"\\]{1,253})")


@dataclass(frozen=True, slots=True)
class FromField:
    """The RFC 5322.From of a message as DMARC, ``check`` and ``diagnose`` all read it.

    ``ambiguity`` says why two reasonable parsers could read a different author
    (several fields or mailboxes, two angle-addrs, an addr-spec after the
    angle-addr, an encoded word, NUL or comment inside the address, a quoted
    local part holding ``@``, a mailbox without a domain, dots that IDNA maps);
    ``other_domains`` are the domains such a parser could see (A-labels).
    """

    addresses: tuple[Address, ...]
    ambiguity: str | None = None
    other_domains: tuple[str, ...] = ()

    @property
    def domains(self) -> tuple[str, ...]:
        """Distinct From domains, de-duplicated after IDNA normalization (A-labels compared)."""
        seen: dict[str, str] = {}
        for a in self.addresses:
            if a.domain:
                seen.setdefault(a.domain_ascii.rstrip("."), a.domain)
        return tuple(seen.values())


def _normal_domain(text: str) -> str:
    for dot in _ODD_DOTS:
        text = text.replace(dot, ".")
    return to_ascii_domain(text.strip().rstrip("."))


def _mailbox_ambiguity(tokens: list[Token]) -> str | None:
    """Why one mailbox's tokens can be read as more than one address (None: one reading)."""
    angles = [i for i, (k, _) in enumerate(tokens) if k == "<"]
    if len(angles) > 1:
        return "two angle-addrs in one mailbox"
    if angles:
        lt = angles[0]
        gt = next((i for i in range(lt + 1, len(tokens)) if tokens[i][0] == ">"), -1)
        if gt < 0:
            return "an angle-addr without its closing '>'"
        if any(k == "@" for k, _ in tokens[:lt]):
            return "an unquoted address in the display name before the angle-addr"
        if any(k not in ("comment",) for k, _ in tokens[gt + 1:]):
            return "text after the angle-addr (an addr-spec or a second address)"
        spec = tokens[lt + 1:gt]
        if any(k == ":" for k, _ in spec):
            return "an obsolete source route (@host,...:) inside the angle-addr"
    else:
        spec = tokens
        words = [i for i, (k, _) in enumerate(spec) if k != "comment"]
        if words and any(k == "comment" for k, _ in spec[words[0]:words[-1]]):
            return "a comment inside the address"
        spec = [t for t in spec if t[0] != "comment"]
    if any(k == "comment" for k, _ in spec):
        return "a comment inside the angle-addr"
    ats = [i for i, (k, _) in enumerate(spec) if k == "@"]
    if not ats:
        return "a mailbox without a domain"
    if len(ats) > 1:
        return "more than one '@' in the address"
    for kind, value in spec:
        if kind == "qs" and "@" in value:
            return "a quoted local part holding '@'"
        if kind in ("atom", "qs") and "=?" in value:
            return "an encoded word inside the address"
        if kind == "dlit" and ats[0] < spec.index((kind, value)):
            return "a domain literal instead of a domain"
        if any(dot in value for dot in _ODD_DOTS):
            return "a non-ASCII dot (IDNA maps it to '.') in the address"
    return None


def parse_from(values: Sequence[str]) -> FromField:
    """Every mailbox of every From field, and whether the field is ambiguous (RFC 5322 section 3.6.2).

    One parser for all: DMARC (RFC 9989 section 4.4 needs exactly one author
    domain), ``check`` and ``diagnose``.
    """
    addresses: list[Address] = []
    for value in values:
        addresses.extend(parse_address_list(value))
    found = tuple(addresses)
    if not values:
        return FromField(found)
    joined = " ".join(values)
    others = tuple(dict.fromkeys(
        d for d in (_normal_domain(m.group(1)) for m in _ANY_DOMAIN.finditer(joined[:64 * 1024])) if d))
    if len(values) > 1:
        return FromField(found, f"{len(values)} From fields", others)
    text = values[0]
    if any(ord(c) < 32 and c not in "\t\r\n" for c in text[:64 * 1024]):
        return FromField(found, "a control character (NUL) in the From field", others)
    tokens = tokenize(text[: 256 * 1024])
    mailboxes: list[list[Token]] = [[]]
    in_angle = False
    for token in tokens:
        kind = token[0]
        in_angle = True if kind == "<" else False if kind == ">" else in_angle
        if not in_angle and kind in (":", ";"):
            return FromField(found, "group syntax in From (RFC 5322 allows only mailboxes)", others)
        if not in_angle and kind == ",":
            mailboxes.append([])
        else:
            mailboxes[-1].append(token)
    mailboxes = [m for m in mailboxes if any(k != "comment" for k, _ in m)]
    if len(mailboxes) > 1:
        return FromField(found, f"{len(mailboxes)} mailboxes in From", others)
    if not mailboxes:
        return FromField(found, "no mailbox in From", others)
    why = _mailbox_ambiguity(mailboxes[0])
    if why is None and len(found) != 1:
        why = "the address could not be read"
    if why is None and not (found[0].local_part and found[0].domain):
        why = "the address has no local part or no domain"
    return FromField(found, why, others)
