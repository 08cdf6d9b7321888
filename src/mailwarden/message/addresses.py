"""Address lists of From, Sender, Reply-To, To, Cc (RFC 5322 section 3.4).

A hand-written tokenizer rather than ``email.utils``: it must be linear-time
on hostile input, keep comments out of domains (``user@example.net(.example.com)``
is ``example.net``, the CVE-2020-12272 class), understand group syntax,
obsolete routes, RFC 2047 display names and IDN domains, and report every
mailbox of a multi-address From.
"""

from __future__ import annotations

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
