"""A bounded MIME walker for bounce analysis (RFC 2045, RFC 2046, RFC 3462/6522).

It walks a :class:`~mailwarden.message.Message` into a flat list of leaf
:class:`Part` objects, in document order:

* ``multipart/*`` bodies are split on their boundary (RFC 2046 section 5.1.1)
  with ``bytes.find`` (linear time); the preamble and epilogue are ignored.
  A boundary parameter lost to a broken fold is taken from the first
  delimiter-like line.
* ``message/rfc822`` and ``message/global`` (RFC 6532 section 3.7) parts are
  parsed with :func:`mailwarden.message.parse_message` so that the returned
  original keeps its raw bytes (DKIM re-verification), and are walked into
  up to :data:`MAX_DEPTH` levels of nesting.
* Only parts that bounce analysis reads are decoded (``text/*``,
  ``message/delivery-status``, ``message/feedback-report`` ...), and at most
  :data:`MAX_DECODED_BYTES` of each; other leaves (a 50 MB attachment) are
  kept as undecoded slices and never copied further.
* At most :data:`MAX_PARTS` parts are produced; ``truncated`` says so.
"""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass, field

from mailwarden.errors import MessageError
from mailwarden.message import Message, parse_message
from mailwarden.message.encoded_words import text_codec

MAX_DEPTH = 12
MAX_PARTS = 500
MAX_DECODED_BYTES = 4 * 1024 * 1024

_PARAM = re.compile(r';\s*([A-Za-z0-9_.*-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;\s]*)')
_FIRST_DELIMITER = re.compile(rb"(?m)^--([0-9A-Za-z'()+_,\-./:=?]{1,70})\r?$")
_HEADER_AFTER = re.compile(rb"\r?\n[A-Za-z][A-Za-z0-9-]{0,60}:")
_MBOX_FROM = re.compile(rb"(?m)^From [^\s:]{1,320} [ -~]{1,80}\r?\n[A-Za-z][A-Za-z0-9-]{0,60}:")
_QP_SOFT = re.compile(rb"=\r?\n")
_QP_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")

#: Content types whose bodies are decoded for analysis.
DECODED_TYPES = frozenset({
    "message/delivery-status",
    "message/global-delivery-status",
    "message/feedback-report",
    "text/rfc822-headers",
    "message/global-headers",
    "message/disposition-notification",
})


@dataclass(frozen=True)
class ContentType:
    """A parsed Content-Type value (RFC 2045 section 5.1)."""

    mime_type: str
    params: dict[str, str] = field(default_factory=dict)

    @property
    def maintype(self) -> str:
        return self.mime_type.split("/", 1)[0]


def parse_content_type(value: str | None, default: str = "text/plain") -> ContentType:
    """Parse ``type/subtype; name=value ...``; lower-cases the type and parameter names."""
    if not value:
        return ContentType(default)
    head = value.split(";", 1)[0].strip().lower()
    if "/" not in head:
        head = default
    params: dict[str, str] = {}
    for match in _PARAM.finditer(value[:4096]):
        name, raw = match.group(1).lower(), match.group(2)
        if raw.startswith('"'):
            raw = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\")
        params.setdefault(name, raw)
    return ContentType(head, params)


@dataclass(frozen=True)
class Part:
    """One leaf of the MIME tree.

    ``text`` is the decoded body (for the types analysis reads), ``message`` the
    parsed message of a ``message/rfc822``/``message/global`` part, ``depth`` the
    number of enclosing ``message/*`` levels (0 = the outer message).
    """

    content_type: ContentType
    headers: Message | None
    raw_body: bytes
    depth: int
    text: str | None = None
    message: Message | None = None

    @property
    def mime_type(self) -> str:
        return self.content_type.mime_type


@dataclass(frozen=True)
class Walk:
    parts: tuple[Part, ...]
    truncated: bool
    max_depth_reached: bool


def decode_transfer(body: bytes, encoding: str | None, limit: int = MAX_DECODED_BYTES) -> bytes:
    """Undo a Content-Transfer-Encoding (RFC 2045 section 6); at most ``limit`` output bytes."""
    enc = (encoding or "").strip().lower()
    if enc == "base64":
        chunk = body[: limit * 4 // 3 + 4096]
        cleaned = re.sub(rb"[^A-Za-z0-9+/]", b"", chunk)
        # A final group shortened by its "=" padding still carries 1-2 bytes: re-pad it.
        cleaned = cleaned[:-1] if len(cleaned) % 4 == 1 else cleaned + b"=" * (-len(cleaned) % 4)
        try:
            return binascii.a2b_base64(cleaned)[:limit]
        except (binascii.Error, ValueError):
            return body[:limit]
    if enc == "quoted-printable":
        chunk = _QP_SOFT.sub(b"", body[: limit * 3])
        return _QP_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), chunk)[:limit]
    return body[:limit]


def to_text(data: bytes, charset: str | None) -> str:
    """Bytes to text with the declared charset, falling back to UTF-8 then cp1252."""
    codec = text_codec(charset)  # sender text: NUL or a bytes codec is no charset
    if codec:
        try:
            return data.decode(codec, "strict")
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode(codec or "cp1252", "replace")
        except LookupError:
            return data.decode("cp1252", "replace")


def split_multipart(body: bytes, boundary: str) -> list[bytes]:
    """The body parts between ``--boundary`` delimiter lines (RFC 2046 section 5.1.1)."""
    delim = b"--" + boundary.encode("utf-8", "replace")
    parts: list[bytes] = []
    pos = 0
    start = -1
    n = len(body)
    while pos <= n and len(parts) <= MAX_PARTS:
        idx = body.find(delim, pos)
        if idx < 0:
            break
        if idx != 0 and body[idx - 2 : idx] != b"\r\n":
            pos = idx + len(delim)
            continue
        after = idx + len(delim)
        closing = body[after : after + 2] == b"--"
        if start >= 0:
            parts.append(body[start : max(start, idx - 2)])
        if closing:
            return parts
        eol = body.find(b"\r\n", after)
        if eol < 0:
            return parts
        start = eol + 2
        pos = start
    if start >= 0:
        parts.append(body[start:])
    return parts


def _guess_boundary(body: bytes) -> str | None:
    """The boundary of a multipart body whose ``boundary`` parameter was lost.

    Some mailers break the Content-Type field before ``boundary="..."`` without
    folding white space (RFC 5322 section 2.2.3), so the parameter becomes a
    field of its own. The first delimiter-like line (RFC 2046 section 5.1.1)
    that is followed by a header field names it.
    """
    match = _FIRST_DELIMITER.search(body[:65536])
    if match is None or not _HEADER_AFTER.match(body, match.end()):
        return None
    return match.group(1).decode("ascii", "replace")


def concatenated_message(message: Message) -> bool:
    """Whether another message follows ``message`` in the same file (an mbox).

    An mbox separator line (``From sender date``) after the closing delimiter
    of the top-level multipart (RFC 2046 section 5.1.1: the epilogue), followed
    by a header field, starts a second message that this analysis does not read.
    """
    ctype = parse_content_type(message.get("Content-Type"))
    boundary = ctype.params.get("boundary")
    body = message.body or b""
    if ctype.maintype != "multipart" or not boundary:
        return False
    close = body.find(b"--" + boundary.encode("utf-8", "replace") + b"--")
    if close < 0:
        return False
    return _MBOX_FROM.search(body, close, close + 65536) is not None


def _parse_part(data: bytes) -> Message | None:
    try:
        return parse_message(data)
    except MessageError:
        return None


def walk(message: Message, *, max_depth: int = MAX_DEPTH) -> Walk:
    """Flatten ``message`` into its leaf parts, bounded in depth, count and decoding."""
    parts: list[Part] = []
    state = {"truncated": False, "deep": False}

    def visit(headers: Message, body: bytes, depth: int, default: str) -> None:
        if len(parts) >= MAX_PARTS:
            state["truncated"] = True
            return
        ctype = parse_content_type(headers.get("Content-Type"), default)
        cte = headers.get("Content-Transfer-Encoding")
        if ctype.maintype == "multipart":
            boundary = ctype.params.get("boundary") or _guess_boundary(body)
            if not boundary:
                parts.append(Part(ctype, headers, body, depth, text=_text_of(body, cte, ctype)))
                return
            child_default = "message/rfc822" if ctype.mime_type == "multipart/digest" else "text/plain"
            chunks = split_multipart(body, boundary)
            if not chunks:
                # A declared boundary that never occurs: use the first delimiter-like line instead.
                guess = _FIRST_DELIMITER.search(body[:65536])
                if guess and guess.group(1).decode("utf-8", "replace") != boundary:
                    chunks = split_multipart(body, guess.group(1).decode("utf-8", "replace"))
            for chunk in chunks:
                if len(parts) >= MAX_PARTS:
                    state["truncated"] = True
                    return
                sub = _parse_part(chunk) if chunk.strip() else None
                if sub is None:
                    continue
                visit(sub, sub.body or b"", depth, child_default)
            return
        if ctype.mime_type in ("message/rfc822", "message/global", "message/partial"):
            data = decode_transfer(body, cte, limit=len(body)) if cte and cte.lower() in (
                "base64", "quoted-printable") else body
            inner = _parse_part(data) if data.strip() else None
            parts.append(Part(ctype, headers, body, depth, message=inner))
            if inner is None:
                return
            if depth + 1 > max_depth:
                state["deep"] = True
                return
            visit(inner, inner.body or b"", depth + 1, "text/plain")
            return
        text = None
        if ctype.maintype == "text" or ctype.mime_type in DECODED_TYPES:
            text = _text_of(body, cte, ctype)
        parts.append(Part(ctype, headers, body, depth, text=text))

    visit(message, message.body or b"", 0, "text/plain")
    return Walk(tuple(parts), state["truncated"], state["deep"])


def _text_of(body: bytes, cte: str | None, ctype: ContentType) -> str:
    return to_text(decode_transfer(body, cte), ctype.params.get("charset"))
