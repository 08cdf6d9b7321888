"""Canonicalization (RFC 6376 section 3.4) and the hash inputs built from it.

Headers are canonicalized from the raw bytes the message model keeps (CRLF,
folding intact). The body is hashed in line-aligned chunks: trailing empty
lines are held back as a count, so nothing is copied more than once, and an
``l=`` limit stops the hashing (the rest is only counted).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mailwarden.message.model import Header

_WSP_RUN = re.compile(rb"[ \t]+")
_SPACE_RUN = re.compile(rb"  +")
CHUNK = 1 << 16


def relaxed_header(header: Header) -> bytes:
    """RFC 6376 section 3.4.2: lower-case name, unfold, one SP for WSP runs, trim, ``name:value CRLF``."""
    value = header.raw_value.replace(b"\r\n", b"")
    value = _WSP_RUN.sub(b" ", value).strip(b" ")
    return header.name.lower().encode("ascii", "replace") + b":" + value + b"\r\n"


def canon_header(header: Header, canon: str) -> bytes:
    """One header field, canonicalized; ``simple`` is the raw field (section 3.4.1)."""
    return header.raw if canon == "simple" else relaxed_header(header)


class HeaderIndex:
    """Header fields of one message by lower-case name, for h= selection (section 5.4.2)."""

    def __init__(self, headers: Sequence[Header]) -> None:
        self.by_name: dict[str, list[Header]] = {}
        for h in headers:
            self.by_name.setdefault(h.lname, []).append(h)

    def select(self, names: Iterable[str]) -> list[Header]:
        """Each name takes the bottom-most instance not used yet; a missing one contributes nothing."""
        used: dict[str, int] = {}
        chosen: list[Header] = []
        for name in names:
            instances = self.by_name.get(name)
            if not instances:
                continue
            n = used.get(name, 0)
            if n < len(instances):
                chosen.append(instances[len(instances) - 1 - n])
                used[name] = n + 1
        return chosen


def header_hash_input(selected: Iterable[Header], sig_header: Header, canon: str) -> bytes:
    """The header data that b= signs (section 3.7): the selected fields, then the
    signature field itself with b= empty and without its final CRLF."""
    from mailwarden.dkim.signature import strip_b_value

    parts = [canon_header(h, canon) for h in selected]
    stripped = Header(sig_header.name, strip_b_value(sig_header.raw))
    last = canon_header(stripped, canon)
    if last.endswith(b"\r\n"):
        last = last[:-2]
    parts.append(last)
    return b"".join(parts)


@dataclass(frozen=True)
class BodyHash:
    """A body digest and the canonical body's length (all of it, even past l=)."""

    digest: bytes
    canonical_length: int
    hashed_length: int


def _relaxed_lines(chunk: bytes) -> bytes:
    """Section 3.4.4 a/b on whole lines: tabs become spaces, runs of spaces one space
    (the regex only visits runs of two or more), then " CRLF" -> CRLF. Linear."""
    if b"\t" in chunk:
        chunk = chunk.replace(b"\t", b" ")
    if b"  " in chunk:
        chunk = _SPACE_RUN.sub(b" ", chunk)
    return chunk.replace(b" \r\n", b"\r\n")


class BodyHasher:
    """Streamed body canonicalization + hash (sections 3.4.3, 3.4.4, 3.7)."""

    def __init__(self, canon: str, hash_name: str, limit: int | None = None) -> None:
        self.relaxed = canon == "relaxed"
        self.hash = hashlib.new(hash_name)
        self.limit = limit
        self.total = 0  # canonical bytes emitted so far
        self.hashed = 0
        self.pending = 0  # CRLFs held back (they may be trailing empty lines)

    def _emit(self, data: bytes) -> None:
        if not data:
            return
        if self.limit is None:
            self.hash.update(data)
            self.hashed += len(data)
        elif self.hashed < self.limit:
            take = data[: self.limit - self.hashed]
            self.hash.update(take)
            self.hashed += len(take)
        self.total += len(data)

    def update(self, chunk: bytes, final: bool = False) -> None:
        """Feed CRLF text that ends at a line boundary (or is the final piece)."""
        if self.relaxed:
            chunk = _relaxed_lines(chunk)
            if final and chunk.endswith(b" "):
                chunk = chunk.rstrip(b" ")
        stripped = chunk.rstrip(b"\r\n")
        trailing = (len(chunk) - len(stripped)) // 2
        if stripped:
            if self.pending:
                self._emit(b"\r\n" * self.pending)
            self._emit(stripped)
            self.pending = trailing
        else:
            self.pending += trailing

    def finish(self) -> BodyHash:
        if self.total or not self.relaxed:
            # the last line's CRLF; simple canonicalization of an empty body is one CRLF
            self._emit(b"\r\n")
        return BodyHash(self.hash.digest(), self.total, self.hashed)


def hash_body(body: bytes | None, canon: str, hash_name: str, limit: int | None = None) -> BodyHash:
    """Hash a CRLF body in line-aligned chunks of about 64 KiB."""
    hasher = BodyHasher(canon, hash_name, limit)
    data = body or b""
    size = len(data)
    pos = 0
    view = memoryview(data)
    while pos < size:
        end = pos + CHUNK
        if end >= size:
            hasher.update(bytes(view[pos:]), final=True)
            break
        nl = data.find(b"\n", end)
        if nl < 0:
            hasher.update(bytes(view[pos:]), final=True)
            break
        hasher.update(bytes(view[pos : nl + 1]))
        pos = nl + 1
    return hasher.finish()
