"""Sender patterns of allow lists: normalisation and bounded matching.

Every allow-list format ends up with one of two pattern forms, matched
against ``local@domain`` (lower case, domain in A-label form, RFC 5890
section 2.3.2.1):

* a glob (``*`` any run, ``?`` one character), as SpamAssassin's
  ``whitelist_from`` documents and as plain lists, CSV exports, Postfix access
  keys and Sieve ``:matches`` (RFC 5228 section 2.7.1) reduce to;
* a regular expression (rspamd regexp maps, Sieve ``:regex``, Postfix
  regexp/pcre tables), matched by :mod:`mailwarden.allowlist.saferegex`, a
  Thompson automaton with no backtracking: user regexes are never given to
  Python's ``re``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from mailwarden.allowlist import kinds
from mailwarden.cache import memo
from mailwarden.errors import MailwardenError
from mailwarden.message.addresses import to_ascii_domain

#: Longest pattern or address considered (RFC 5321 section 4.5.3.1 limits a path to 256 octets).
MAX_PATTERN = 512

_DOMAIN_CHARS = re.compile(r"[a-z0-9_*?\-.\u0080-\U0010ffff]+\Z")
_LOCAL_BAD = re.compile(r"[\s<>()\[\],;:\\\"]")
_GLOB_META = re.compile(r"[*?]")
#: The common case, classified without further checks: a plain ASCII address.
FAST_ADDRESS = re.compile(
    r"[A-Za-z0-9][A-Za-z0-9._%+\-=']{0,63}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63}){1,8}"
)


class PatternError(MailwardenError, ValueError):
    """A token that is not a usable sender pattern (the reason is the message)."""


def ascii_domain_glob(domain: str) -> str:
    """Lower-case A-label form of a domain or domain glob, label by label."""
    domain = domain.strip().rstrip(".").lower()
    if domain.isascii():
        return domain
    labels = []
    for label in domain.split("."):
        if label.isascii() or _GLOB_META.search(label):
            labels.append(label)
        else:
            labels.append(to_ascii_domain(label))
    return ".".join(labels)


def has_glob(text: str) -> bool:
    return bool(_GLOB_META.search(text))


def split_pattern(pattern: str) -> tuple[str | None, str]:
    """(local glob or None when the glob has no ``@``, domain glob or the whole glob)."""
    local, at, domain = pattern.rpartition("@")
    return (local, domain) if at else (None, pattern)


def classify_token(token: str, *, bare: str = kinds.DOMAIN, whole_address_glob: bool = False) -> tuple[str, str]:
    """(kind, normalised glob) of one allow-list token.

    ``bare`` is the kind of a token without ``@`` and without wildcards
    (``domain``, or ``domain-tree`` for Postfix access keys, which match
    subdomains too).  With ``whole_address_glob`` (SpamAssassin) a token
    without ``@`` is a glob over the whole address.
    """
    if FAST_ADDRESS.fullmatch(token):
        return kinds.ADDRESS, token.lower()
    tok = token.strip()
    if tok.startswith("<") and tok.endswith(">"):
        tok = tok[1:-1].strip()
    if not tok:
        raise PatternError("empty entry")
    if len(tok) > MAX_PATTERN:
        raise PatternError(f"entry longer than {MAX_PATTERN} characters")
    tok = tok.lower()
    if "@" in tok:
        local, _, domain = tok.rpartition("@")
        if _LOCAL_BAD.search(local):
            raise PatternError(f"{token!r} is not an address")
        if not domain:
            if not local or local == "*":
                raise PatternError(f"{token!r} has neither local part nor domain")
            return kinds.LOCALPART, f"{local}@*"
        domain = _check_domain(domain, token)
        if not local or local == "*":
            if not has_glob(domain):
                return kinds.DOMAIN, f"*@{domain}"
            if domain.startswith("*.") and not has_glob(domain[2:]):
                return kinds.SUBDOMAINS, f"*@{domain}"
            return kinds.WILDCARD, f"*@{domain}"
        if has_glob(local) or has_glob(domain):
            return kinds.WILDCARD, f"{local}@{domain}"
        return kinds.ADDRESS, f"{local}@{domain}"
    if tok.startswith("*.") and not has_glob(tok[2:]):
        return kinds.SUBDOMAINS, f"*@*.{_check_domain(tok[2:], token)}"
    if tok.startswith(".") and not has_glob(tok):
        return kinds.SUBDOMAINS, f"*@*.{_check_domain(tok[1:], token)}"
    if tok == "*":
        return kinds.WILDCARD, "*"
    if whole_address_glob:
        if not has_glob(tok):
            raise PatternError(
                f"{token!r} has no '@': it is compared with the whole address and matches nothing "
                f"(write *@{tok} for the domain)"
            )
        return kinds.WILDCARD, _check_domain(tok, token)
    domain = _check_domain(tok, token)
    if bare == kinds.DOMAIN and "." not in domain:
        raise PatternError(f"{token!r} is not an address or domain")
    if has_glob(domain):
        return kinds.WILDCARD, f"*@{domain}"
    return bare, f"*@{domain}"


def _check_domain(domain: str, token: str) -> str:
    domain = ascii_domain_glob(domain)
    if not domain or not _DOMAIN_CHARS.match(domain) or ".." in domain or domain.startswith("."):
        raise PatternError(f"{token!r} is not an address or domain")
    return domain


def glob_match(pattern: str, text: str) -> bool:
    """Linear-memory glob match (``*``, ``?``), O(len(pattern) * len(text)) worst case."""
    p = t = 0
    star = -1
    mark = 0
    np, nt = len(pattern), len(text)
    while t < nt:
        if p < np and (pattern[p] == "?" or pattern[p] == text[t]):
            p += 1
            t += 1
        elif p < np and pattern[p] == "*":
            star, mark = p, t
            p += 1
        elif star >= 0:
            p = star + 1
            mark += 1
            t = mark
        else:
            return False
    while p < np and pattern[p] == "*":
        p += 1
    return p == np


@dataclass(frozen=True, slots=True)
class Matcher:
    """A compiled entry pattern; ``matches`` returns None when undecidable."""

    kind: str
    pattern: str
    regex: object | None = None
    error: str = ""

    def matches(self, address: str) -> bool | None:
        if len(address) > MAX_PATTERN:
            return False
        if self.kind == kinds.EXTERNAL:
            return None
        if self.kind == kinds.REGEX:
            if self.regex is None:
                return None
            return self.regex.search(address)  # type: ignore[attr-defined]
        if self.kind == kinds.DOMAIN_TREE:
            domain = self.pattern[2:]
            _, _, adom = address.rpartition("@")
            return adom == domain or adom.endswith("." + domain)
        if self.kind == kinds.ADDRESS:
            return address == self.pattern
        return glob_match(self.pattern, address)


@memo(4096)
def compiled(kind: str, pattern: str) -> Matcher:
    """The (cached) matcher of an entry's normalised pattern."""
    if kind == kinds.REGEX:
        from mailwarden.allowlist.saferegex import RegexUnsupported, SafeRegex

        try:
            return Matcher(kind, pattern, SafeRegex(pattern))
        except RegexUnsupported as exc:
            return Matcher(kind, pattern, None, str(exc))
    return Matcher(kind, pattern)


def regex_literal_text(source: str) -> str:
    """The literal characters of a regex, escapes resolved and operators dropped (text analysis)."""
    out = []
    i, n = 0, len(source)
    while i < n:
        c = source[i]
        if c == "\\" and i + 1 < n:
            nxt = source[i + 1]
            out.append(nxt if not nxt.isalnum() else " ")
            i += 2
            continue
        if c in "^$()|+*?{}[]":
            out.append(" ")
        elif c == ".":
            out.append(".")
        else:
            out.append(c)
        i += 1
    return "".join(out).lower()
