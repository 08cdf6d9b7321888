"""Authentication-Results header fields (RFC 8601 section 2.2), parsed tolerantly.

The grammar::

    authres-payload = [CFWS] authserv-id [ CFWS authres-version ]
                      ( no-result / 1*resinfo ) [CFWS] CRLF
    resinfo   = [CFWS] ";" methodspec [ CFWS reasonspec ] [ CFWS 1*propspec ]
    methodspec = [CFWS] method [CFWS] "=" [CFWS] result
    reasonspec = "reason" [CFWS] "=" [CFWS] value
    propspec  = ptype [CFWS] "." [CFWS] property [CFWS] "=" pvalue

Real headers stray from it (Microsoft 365 omits the authserv-id and writes
``header.d=none;example.com``; Gmail puts ``;`` inside comments; some add
``action=none`` without a ptype), so the parser never raises: what it cannot
use is skipped and named in :attr:`AuthenticationResults.defects`.

Linear time; bounded by :data:`MAX_PARSE` characters and :data:`MAX_RESULTS`
results.  The quoting helpers at the bottom are shared with the generator
(:mod:`mailwarden.authres`) so that parsing and writing agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from mailwarden.message.lexical import scan_comment

#: Only this much of one header is examined.
MAX_PARSE = 64 * 1024
#: At most this many results are kept from one header.
MAX_RESULTS = 500
#: Comment nesting deeper than this is treated as flat text.
MAX_COMMENT_DEPTH = 32

_PREFIX = re.compile(r"\s*authentication-results\s*:", re.I)
_METHODSPEC = re.compile(
    r"\s*([A-Za-z0-9][A-Za-z0-9_.-]*)\s*(?:/\s*([0-9]+)\s*)?=\s*(\"(?:[^\"\\]|\\.)*\"|[^\s\";]+)", re.S
)
_REASON = re.compile(r"reason\s*=\s*(\"(?:[^\"\\]|\\.)*\"|[^\s\";]+)", re.I | re.S)
_PROPSPEC = re.compile(
    r"([A-Za-z0-9][A-Za-z0-9_-]*)\s*\.\s*([A-Za-z0-9][A-Za-z0-9_.-]*)\s*=\s*(\"(?:[^\"\\]|\\.)*\"|[^\s\";]*)",
    re.S,
)
_SKIP = re.compile(r"\"(?:[^\"\\]|\\.)*\"?|\S+", re.S)
_WS = re.compile(r"\s+")
_VERSION = re.compile(r"[0-9]+")


class AuthProperty(NamedTuple):
    """One ``ptype.property=value`` (RFC 8601 section 2.3); ptype and name lower-cased."""

    ptype: str
    name: str
    value: str

    @property
    def type(self) -> str:  # the name RFC 8601 and the authres library use
        return self.ptype

    @property
    def key(self) -> str:
        return f"{self.ptype}.{self.name}"


@dataclass(frozen=True)
class AuthResult:
    """One ``resinfo``: ``method=result [reason=...] [ptype.prop=value ...]`` (RFC 8601 section 2.2)."""

    method: str
    result: str
    reason: str | None = None
    properties: tuple[AuthProperty, ...] = ()
    method_version: str | None = None
    comment: str | None = None  # the first comment inside this resinfo, e.g. "(good signature)"

    def get(self, key: str, default: str | None = None) -> str | None:
        """The value of the first property ``ptype.name`` (case-insensitive), e.g. ``header.d``."""
        key = key.lower()
        for prop in self.properties:
            if prop.key == key:
                return prop.value
        return default

    def __str__(self) -> str:
        parts = [f"{self.method}={self.result}"]
        if self.reason is not None:
            parts.append(f"reason={quote_value(self.reason, always=True)}")
        parts.extend(f"{p.ptype}.{p.name}={quote_value(p.value)}" for p in self.properties)
        return " ".join(parts)


@dataclass(frozen=True)
class AuthenticationResults:
    """One parsed Authentication-Results header field."""

    authserv_id: str
    version: int | None
    results: tuple[AuthResult, ...]
    comments: tuple[str, ...] = ()
    defects: tuple[str, ...] = ()
    raw: str = ""

    def by_method(self, method: str) -> tuple[AuthResult, ...]:
        method = method.lower()
        return tuple(r for r in self.results if r.method == method)


def parse_authentication_results(value: str) -> AuthenticationResults:
    """Parse the value of one Authentication-Results field (a leading field name is accepted)."""
    raw = value
    text = value[:MAX_PARSE]
    defects: list[str] = []
    if len(value) > MAX_PARSE:
        defects.append(f"header longer than {MAX_PARSE} characters: the rest was not read")
    prefix = _PREFIX.match(text)
    if prefix:
        text = text[prefix.end():]
    clean, comments = _strip_comments(text)
    pieces = _split_semicolons(clean)
    comment_texts = tuple(c for _, c in comments)

    first_text = pieces[0][0]
    authserv_id = ""
    version: int | None = None
    result_pieces = pieces[1:]
    if _looks_like_methodspec(first_text):
        defects.append("no authserv-id: the header starts with a result")
        result_pieces = pieces
    else:
        words = _SKIP.findall(first_text)
        if words:
            authserv_id = unquote_value(words[0])
            if len(words) > 1 and _VERSION.fullmatch(words[1]):
                version = int(words[1])
                extra = words[2:]
            else:
                extra = words[1:]
            if extra:
                defects.append(f"unexpected text after the authserv-id: {' '.join(extra)[:60]!r}")
        else:
            defects.append("empty authserv-id")

    results: list[AuthResult] = []
    for index, (piece, start) in enumerate(result_pieces):
        end = result_pieces[index + 1][1] if index + 1 < len(result_pieces) else len(clean) + 1
        body = piece.strip()
        if not body:
            continue
        if body.lower() == "none":
            continue  # RFC 8601 section 2.2 no-result
        if len(results) >= MAX_RESULTS:
            defects.append(f"more than {MAX_RESULTS} results: the rest were ignored")
            break
        comment = next((c for pos, c in comments if start <= pos < end), None)
        parsed = _parse_resinfo(piece, comment, defects)
        if parsed is not None:
            results.append(parsed)
    return AuthenticationResults(
        authserv_id=authserv_id,
        version=version,
        results=tuple(results),
        comments=comment_texts,
        defects=tuple(defects),
        raw=raw,
    )


def _looks_like_methodspec(text: str) -> bool:
    match = _METHODSPEC.match(text)
    return bool(match) and "." not in match.group(1)


def _parse_resinfo(piece: str, comment: str | None, defects: list[str]) -> AuthResult | None:
    match = _METHODSPEC.match(piece)
    if not match or "." in match.group(1):
        defects.append(f"not a result: {piece.strip()[:60]!r}")
        return None
    method = match.group(1).lower()
    result = unquote_value(match.group(3)).lower()
    reason: str | None = None
    props: list[AuthProperty] = []
    pos = match.end()
    n = len(piece)
    while pos < n:
        ws = _WS.match(piece, pos)
        if ws:
            pos = ws.end()
            if pos >= n:
                break
        reason_match = _REASON.match(piece, pos)
        if reason_match and reason is None and not props:
            reason = unquote_value(reason_match.group(1))
            pos = reason_match.end()
            continue
        prop = _PROPSPEC.match(piece, pos)
        if prop:
            props.append(AuthProperty(prop.group(1).lower(), prop.group(2).lower(), unquote_value(prop.group(3))))
            pos = prop.end()
            continue
        skipped = _SKIP.match(piece, pos)
        if not skipped:  # pragma: no cover - _SKIP matches any non-space text
            break
        defects.append(f"{method}: ignored {skipped.group(0)[:40]!r}")
        pos = skipped.end()
    return AuthResult(method, result, reason, tuple(props), match.group(2), comment)


def _strip_comments(text: str) -> tuple[str, list[tuple[int, str]]]:
    """Replace comments (RFC 5322 section 3.2.2, nested, with quoted-pairs) by one space each.

    Returns the cleaned text and ``(position in cleaned text, comment text)`` pairs.
    Quoted strings are kept as they are, so ``"a(b)"`` is not a comment.
    """
    out: list[str] = []
    length = 0
    comments: list[tuple[int, str]] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            j = i + 1
            while j < n and text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            out.append(text[i:j + 1])
            length += len(out[-1])
            i = j + 1
        elif ch == "(":
            j, content = scan_comment(text, i)
            comments.append((length, " ".join(content.split())))
            out.append(" ")
            length += 1
            i = j
        else:
            j = i
            while j < n and text[j] not in '"(':
                j += 1
            out.append(text[i:j])
            length += j - i
            i = j
    return "".join(out), comments


def _split_semicolons(text: str) -> list[tuple[str, int]]:
    """Split on ``;`` outside quoted strings: ``(piece, start offset)`` pairs."""
    pieces: list[tuple[str, int]] = []
    start, i, n = 0, 0, len(text)
    while i < n:
        ch = text[i]
        if ch == '"':
            i += 1
            while i < n and text[i] != '"':
                i += 2 if text[i] == "\\" else 1
        elif ch == ";":
            pieces.append((text[start:i], start))
            start = i + 1
        i += 1
    pieces.append((text[start:], start))
    return pieces


# --------------------------------------------------------------------------- quoting (RFC 8601 section 2.2)

#: RFC 2045 token: any CHAR except SPACE, CTLs and tspecials.
_TOKEN = re.compile(r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+")
_DOT_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_DOMAIN = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,62}[A-Za-z0-9])?)*\.?"
#: pvalue = [[local-part] "@"] domain-name (RFC 8601 section 2.2)
_ADDRESS = re.compile(rf"(?:{_DOT_ATOM})?@{_DOMAIN}")
_CTL = re.compile(r"[\x00-\x1f\x7f]")


def unquote_value(text: str) -> str:
    """The content of a quoted-string (quoted-pairs resolved), or the text itself."""
    if len(text) >= 2 and text[0] == '"' and text[-1] == '"':
        return re.sub(r"\\(.)", r"\1", text[1:-1], flags=re.S)
    if text.startswith('"'):
        return text[1:]
    return text


def quote_value(value: str, *, always: bool = False) -> str:
    """``value`` as RFC 8601 ``value``/``pvalue``: bare when it is a token, a domain
    or ``[local-part]@domain``; otherwise a quoted-string.  Control characters
    (CR, LF, NUL, ...) never reach the output: they become spaces."""
    value = _CTL.sub(" ", value)
    if not always and value and (_TOKEN.fullmatch(value) or _ADDRESS.fullmatch(value)):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def safe_comment(text: str, limit: int = 200) -> str:
    """``(text)`` safe to put in a header: controls removed, parentheses and
    backslashes escaped, length bounded, so that a hostile value cannot end the
    comment early and inject results (RFC 5322 section 3.2.2 ``ccontent``)."""
    text = " ".join(_CTL.sub(" ", text).split())[:limit]
    text = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
    return f"({text})"
