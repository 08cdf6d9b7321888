"""Decoding of RFC 2047 encoded words ("=?utf-8?B?...?=") in header text."""

from __future__ import annotations

import base64
import binascii
import codecs
import re

_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,40})\?([bBqQ])\?([^?\s]{0,2000})\?=")
_BETWEEN_WORDS = re.compile(r"(\?=)\s+(=\?)")
_Q_HEX = re.compile(rb"=([0-9A-Fa-f]{2})")


def _decode_q(text: str) -> bytes:
    raw = text.replace("_", " ").encode("ascii", "replace")
    return _Q_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def _decode_b(text: str) -> bytes:
    padded = text + "=" * (-len(text) % 4)
    try:
        return base64.b64decode(padded, validate=False)
    except (binascii.Error, ValueError):
        return text.encode("ascii", "replace")


def text_codec(name: str | None) -> str | None:
    """The Python codec for a MIME charset name (RFC 2045/2231), or None when it names none.

    The name is sender text: a NUL, an over-long name, or a codec that is not a
    text encoding (``base64``, ``rot13``, ``zlib``...) is no charset.
    """
    if not name:
        return None
    name = name.split("*", 1)[0].strip().strip('"').lower()  # RFC 2231 language suffix
    if not name or len(name) > 64 or not name.isascii() or not name.isprintable():
        return None
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    if not getattr(info, "_is_text_encoding", True):
        return None
    return info.name


def _charset(name: str) -> str:
    return text_codec(name) or "latin-1"


def decode_header_text(text: str) -> str:
    """Decode every encoded word in ``text``; malformed words are left as written.

    White space between two adjacent encoded words is dropped (RFC 2047 section 6.2).
    """
    if "=?" not in text:
        return text
    text = _BETWEEN_WORDS.sub(r"\1\2", text)

    def replace(match: re.Match[str]) -> str:
        charset, encoding, payload = match.groups()
        data = _decode_q(payload) if encoding in "qQ" else _decode_b(payload)
        return data.decode(_charset(charset), "replace")

    return _ENCODED_WORD.sub(replace, text)
