"""SPF macro strings: parsing and expansion (RFC 7208 section 7).

A macro string is parsed once into :class:`MacroString` (literal pieces and
:class:`Macro` expansions); expanding it later needs only the values of the
macro letters (:class:`MacroValues`).  Parsing is pure; the ``%{p}`` value
(validated PTR name, section 7.3) needs DNS and is computed by the evaluator
beforehand, only when :attr:`MacroString.uses_ptr` says so.

Limits (hostile policies): an expansion longer than :data:`MAX_EXPANSION`
characters is refused (the evaluator turns that into permerror for a
domain-spec, and ignores the exp= text for an explanation); shorter domain
names longer than 253 characters are truncated from the left (section 7.3).
No legitimate policy comes near the cap: the longest inputs (sender, HELO) are
a few hundred characters.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple
from urllib.parse import quote

from mailwarden.errors import RecordSyntaxError

#: Macro letters allowed everywhere (RFC 7208 section 7.2).
DOMAIN_LETTERS = frozenset("slodiphv")
#: Letters allowed only in explanation text (section 7.2: c, r, t).
EXP_LETTERS = DOMAIN_LETTERS | frozenset("crt")
#: Longest expansion accepted before truncation: anything longer is a hostile policy.
MAX_EXPANSION = 1000
#: Longest domain name (RFC 7208 section 7.3, RFC 1035 section 2.3.4).
MAX_DOMAIN = 253

# macro-literal = %x21-24 / %x26-7E; explain-string also allows SP (section 7.1).
_DOMAIN_TOKEN = re.compile(
    r"([\x21-\x24\x26-\x7e]+)|%([%_-])|%\{([A-Za-z])([0-9]*)([rR]?)([-.+,/_=]*)\}"
)
_EXPLAIN_TOKEN = re.compile(
    r"([\x20-\x24\x26-\x7e]+)|%([%_-])|%\{([A-Za-z])([0-9]*)([rR]?)([-.+,/_=]*)\}"
)
_ESCAPES = {"%": "%", "_": " ", "-": "%20"}
_DIGITS_CAP = 255


class MacroSyntaxError(RecordSyntaxError):
    """A macro string that does not follow RFC 7208 section 7.1 (internal to the parser)."""


@dataclass(frozen=True, slots=True)
class Macro:
    """One ``%{...}`` expansion: letter, transformers and delimiters (section 7.1)."""

    letter: str  # lower case
    digits: int | None
    reverse: bool
    delimiters: str
    upper: bool  # upper-case letter: URL-escape the result (section 7.3)

    def transform(self, value: str) -> str:
        """Split on the delimiters, reverse, keep the right-most parts, join with dots (section 7.3)."""
        if self.digits is not None or self.reverse or self.delimiters not in ("", "."):
            delims = self.delimiters or "."
            parts = re.split("[" + re.escape(delims) + "]", value) if len(delims) > 1 else value.split(delims)
            if self.reverse:
                parts.reverse()
            if self.digits is not None and self.digits < len(parts):
                parts = parts[-self.digits :]
            value = ".".join(parts)
        if self.upper:
            value = quote(value, safe="")
        return value


class MacroString(NamedTuple):
    """A parsed macro string: literal text and :class:`Macro` pieces, in order (immutable)."""

    text: str
    parts: tuple[str | Macro, ...]
    #: The expansion when there is no macro at all (fast path).
    literal: str | None
    uses_ptr: bool
    #: The string ends with a macro-expand (``domain-end`` alternative, section 7.1).
    ends_with_macro: bool
    #: For a literal: the DNS name it stands for (:func:`query_name`), or None if it is no usable name.
    name: str | None = None
    #: ``name`` is known to be a valid domain (RFC 7208 section 4.3) already: the record parser's
    #: literal fast path accepts only such names, so the evaluator need not check them again.
    valid_name: bool = False

    def expand(self, values: MacroValues, domain: str) -> str:
        """Expand with ``values`` and ``domain`` as ``%{d}``; raises :class:`MacroSyntaxError` if too long."""
        if self.literal is not None:
            return self.literal
        out: list[str] = []
        size = 0
        for part in self.parts:
            piece = part if isinstance(part, str) else part.transform(values.get(part.letter, domain))
            size += len(piece)
            if size > MAX_EXPANSION:
                raise MacroSyntaxError(f"macro expansion of {self.text!r} is longer than {MAX_EXPANSION} characters")
            out.append(piece)
        return "".join(out)


@dataclass(slots=True)
class MacroValues:
    """The values of the macro letters for one check (RFC 7208 section 7.3).

    ``d`` is passed separately to :meth:`get` because it changes along includes
    and redirects; ``p`` is set by the evaluator when a string needs it.
    """

    sender: str
    local_part: str
    sender_domain: str
    ip_dotted: str  # %{i}
    ip_text: str  # %{c}
    ip_version: int
    helo: str
    receiver: str
    timestamp: int
    ptr: str = "unknown"

    def get(self, letter: str, domain: str) -> str:
        if letter == "d":
            return domain
        if letter == "s":
            return self.sender
        if letter == "l":
            return self.local_part
        if letter == "o":
            return self.sender_domain
        if letter == "i":
            return self.ip_dotted
        if letter == "h":
            return self.helo
        if letter == "v":
            return "in-addr" if self.ip_version == 4 else "ip6"
        if letter == "p":
            return self.ptr
        if letter == "c":
            return self.ip_text
        if letter == "r":
            return self.receiver
        if letter == "t":
            return str(self.timestamp)
        raise MacroSyntaxError(f"unknown macro letter {letter!r}")


def literal_domain(text: str, name: str | None, valid_name: bool = False) -> MacroString:
    """A macro string without macros (the common case), built without the tokenizer."""
    return tuple.__new__(MacroString, (text, (text,), text, False, False, name, valid_name))


def parse_macro_string(text: str, *, explanation: bool = False) -> MacroString:
    """Parse ``macro-string`` (or ``explain-string`` when ``explanation``), RFC 7208 section 7.1.

    Raises :class:`MacroSyntaxError` naming the offending piece.
    """
    token = _EXPLAIN_TOKEN if explanation else _DOMAIN_TOKEN
    letters = EXP_LETTERS if explanation else DOMAIN_LETTERS
    parts: list[str | Macro] = []
    pos = 0
    uses_ptr = False
    ends_with_macro = False
    n = len(text)
    while pos < n:
        m = token.match(text, pos)
        if m is None:
            bad = text[pos : pos + 3]
            if text[pos] == "%":
                raise MacroSyntaxError(f"invalid macro {bad!r}: '%' must be followed by '{{', '%', '_' or '-'")
            raise MacroSyntaxError(f"invalid character {text[pos]!r}")
        literal, escape, letter, digits, reverse, delims = m.groups()
        if literal is not None:
            _append_literal(parts, literal)
            ends_with_macro = False
        elif escape is not None:
            _append_literal(parts, _ESCAPES[escape])
            ends_with_macro = True
        else:
            lower = letter.lower()
            if lower not in letters:
                where = "" if explanation else " outside explanation text"
                raise MacroSyntaxError(f"macro letter {letter!r} is not allowed{where} in {m.group(0)!r}")
            count = None
            if digits:
                count = int(digits[:4])
                if count == 0:
                    raise MacroSyntaxError(f"macro {m.group(0)!r}: zero parts requested")
                count = min(count, _DIGITS_CAP)
            parts.append(Macro(lower, count, bool(reverse), delims, letter.isupper()))
            uses_ptr = uses_ptr or lower == "p"
            ends_with_macro = True
        pos = m.end()
    literal_text = None
    if all(isinstance(p, str) for p in parts):
        literal_text = "".join(p for p in parts if isinstance(p, str))
    name = query_name(literal_text) if literal_text is not None and not explanation else None
    return MacroString(text, tuple(parts), literal_text, uses_ptr, ends_with_macro, name)


def _append_literal(parts: list[str | Macro], text: str) -> None:
    if parts and isinstance(parts[-1], str):
        parts[-1] = parts[-1] + text
    else:
        parts.append(text)


_BAD_NAME = re.compile(r"[\t\r\n\\]")


def query_name(name: str) -> str | None:
    """The expansion of a domain-spec as a DNS name: truncated (section 7.3), or None when no
    query can be made of it (empty or over-long label, control characters: section 4.8)."""
    if len(name) > MAX_DOMAIN or name.endswith("."):
        name = truncate_domain(name)
    if not name or not name.isascii():
        return None
    labels = name.split(".")
    if "" in labels or max(map(len, labels)) > 63:
        return None
    return name if _BAD_NAME.search(name) is None else None


def truncate_domain(name: str) -> str:
    """Drop one trailing dot; cut labels from the left until at most 253 characters (section 7.3)."""
    if name.endswith("."):
        name = name[:-1]
    while len(name) > MAX_DOMAIN:
        dot = name.find(".")
        if dot < 0:
            return name
        name = name[dot + 1 :]
    return name
