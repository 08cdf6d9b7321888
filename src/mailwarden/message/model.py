"""The message model: a raw RFC 5322 message parsed once (RFC 5322 section 2).

* Input is bytes; CRLF, LF and lone CR line ends are all accepted and stored as
  CRLF, which is what DKIM canonicalization works on (RFC 6376 section 3.4).
* Every header keeps its exact raw bytes (name, colon, folded value, CRLF).
* Decoded views (addresses, Received hops, ...) are computed on first use.
* A headers-only paste (no blank line, no body) is a valid input; ``body`` is
  then ``None``.
* Bounded: :data:`MAX_HEADER_BYTES` of header section and
  :data:`MAX_HEADERS` fields, beyond which :class:`MessageError` says so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, NamedTuple

from mailwarden.errors import MessageError
from mailwarden.message.addresses import (
    Address,
    FromField,
    parse_address_list,
    parse_from,
    parse_single_address,
)
from mailwarden.message.encoded_words import decode_header_text
from mailwarden.message.received import ReceivedHop, parse_received

if TYPE_CHECKING:
    from mailwarden.message.authres import AuthenticationResults

MAX_HEADER_BYTES = 16 * 1024 * 1024
MAX_HEADERS = 100_000
_FIELD_NAME = re.compile(rb"[\x21-\x39\x3b-\x7e]+")
#: One header field with its continuation lines (group 1: the whole field, group 2: the name),
#: or any other line (group 3). Every match consumes at least one line.
_FIELD = re.compile(rb"(([\x21-\x39\x3b-\x7e]+)[ \t]*:[^\n]*\n(?:[ \t][^\n]*\n)*)|([^\n]*)\n")
_UNFOLD = re.compile(r"\r\n(?=[ \t])")
_LONE_CR = re.compile(rb"\r(?!\n)")
_LONE_LF = re.compile(rb"\n(?<!\r\n)")


class Header(NamedTuple):
    """One header field exactly as received (immutable; cheap to build for every field)."""

    name: str
    raw: bytes  # b"Name: value\r\n" with folding, CRLF line ends

    @property
    def lname(self) -> str:
        return self.name.lower()

    @property
    def raw_value(self) -> bytes:
        """Bytes after the colon, folding kept, final CRLF removed."""
        colon = self.raw.index(b":")
        return self.raw[colon + 1 : -2] if self.raw.endswith(b"\r\n") else self.raw[colon + 1 :]

    @property
    def value(self) -> str:
        """Unfolded (RFC 5322 section 2.2.3) and decoded text, surrounding white space removed."""
        return _UNFOLD.sub("", _decode(self.raw_value)).strip()


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", "replace")


def normalize_line_endings(data: bytes) -> bytes:
    """Every CRLF, LF and lone CR becomes CRLF (linear time)."""
    if b"\r" not in data:
        return data.replace(b"\n", b"\r\n")
    if _LONE_LF.search(data) is None and _LONE_CR.search(data) is None:
        return data  # already canonical: no copy (two literal-prefix scans, cheaper than counting CRLFs)
    return data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")


@dataclass(frozen=True)
class Message:
    """An immutable parsed message. Build it with :func:`parse_message`."""

    headers: tuple[Header, ...]
    body: bytes | None
    defects: tuple[str, ...] = field(default=())

    # ------------------------------------------------------------ raw access
    @cached_property
    def fields_by_name(self) -> dict[str, tuple[Header, ...]]:
        """Header fields by lower-case name, each list topmost first (built once).

        Most names occur once: they get a 1-tuple directly; only repeated names
        (Received, DKIM-Signature...) are collected in a list first (linear).
        """
        index: dict[str, tuple[Header, ...]] = {}
        repeated: dict[str, list[Header]] = {}
        for h in self.headers:
            key = h.name.lower()
            if key not in index:
                index[key] = (h,)
            elif key in repeated:
                repeated[key].append(h)
            else:
                repeated[key] = [*index[key], h]
        for key, found in repeated.items():
            index[key] = tuple(found)
        return index

    def header_fields(self, name: str) -> list[Header]:
        """All fields with this name, topmost first."""
        return list(self.fields_by_name.get(name.lower(), ()))

    def get_all(self, name: str) -> list[str]:
        return [h.value for h in self.fields_by_name.get(name.lower(), ())]

    def get(self, name: str, default: str | None = None) -> str | None:
        found = self.fields_by_name.get(name.lower())
        return found[0].value if found else default

    @property
    def has_body(self) -> bool:
        return self.body is not None

    @property
    def header_bytes(self) -> bytes:
        return b"".join(h.raw for h in self.headers)

    def as_bytes(self) -> bytes:
        """The message with CRLF line ends (headers, blank line, body)."""
        return self.header_bytes + b"\r\n" + (self.body or b"")

    def with_headers_prepended(self, *raw_headers: bytes) -> Message:
        """A new message with these raw header fields on top (ARC sealing, A-R stamping)."""
        new = tuple(_header_from_raw(normalize_line_endings(r)) for r in raw_headers)
        return Message(new + self.headers, self.body, self.defects)

    # ------------------------------------------------------------ decoded views
    @cached_property
    def from_field(self) -> FromField:
        """The From field as every consumer reads it, with its ambiguity (:func:`parse_from`)."""
        return parse_from(self.get_all("From"))

    @property
    def from_addresses(self) -> tuple[Address, ...]:
        """Every mailbox of every From field (RFC 5322 section 3.6.2); several are reported, not dropped."""
        return self.from_field.addresses

    @property
    def from_domains(self) -> tuple[str, ...]:
        """Distinct From domains, compared after IDNA normalization."""
        return self.from_field.domains

    def addresses(self, name: str) -> tuple[Address, ...]:
        found: list[Address] = []
        for value in self.get_all(name):
            found.extend(parse_address_list(value))
        return tuple(found)

    @cached_property
    def sender(self) -> Address | None:
        value = self.get("Sender")
        return parse_single_address(value) if value else None

    @cached_property
    def return_path(self) -> str | None:
        """Envelope sender recorded by the final delivery (RFC 5321 section 4.4); ``""`` for ``<>``."""
        value = self.get("Return-Path")
        if value is None:
            return None
        stripped = value.strip()
        if stripped in ("<>", ""):
            return ""
        address = parse_single_address(stripped)
        return address.address if address else stripped.strip("<>")

    @cached_property
    def message_id(self) -> str | None:
        value = self.get("Message-ID")
        if not value:
            return None
        match = re.search(r"<[^<>\s]{1,998}>", value)
        return match.group(0) if match else value.split()[0] if value.split() else None

    @cached_property
    def subject(self) -> str | None:
        value = self.get("Subject")
        return decode_header_text(value) if value is not None else None

    @cached_property
    def received(self) -> tuple[ReceivedHop, ...]:
        """The Received chain, topmost (last added) first."""
        return tuple(parse_received(v, i) for i, v in enumerate(self.get_all("Received")))

    @cached_property
    def authentication_results(self) -> tuple[AuthenticationResults, ...]:
        """Every Authentication-Results header (RFC 8601), topmost first."""
        from mailwarden.message.authres import parse_authentication_results

        return tuple(parse_authentication_results(v) for v in self.get_all("Authentication-Results"))

    @cached_property
    def content_type(self) -> str:
        value = self.get("Content-Type") or "text/plain"
        return value.split(";", 1)[0].strip().lower() or "text/plain"


def _header_from_raw(raw: bytes) -> Header:
    colon = raw.find(b":")
    name = raw[:colon].decode("ascii", "replace").strip() if colon > 0 else ""
    if not raw.endswith(b"\r\n"):
        raw += b"\r\n"
    return Header(name, raw)


#: ``Header(name, raw)`` without the Python-level ``__new__`` of a NamedTuple (same object).
_new_header = tuple.__new__


def _line_defect(line: bytes, defects: list[str]) -> None:
    if line[:1] in (b" ", b"\t"):
        defects.append("continuation line before the first header")
    elif len(defects) < 100:
        defects.append(f"not a header line: {line[:60].decode('utf-8', 'replace').rstrip()!r}")


def _parse_fields(header_block: bytes) -> tuple[list[Header], list[str]]:
    """Header fields (RFC 5322 section 2.2) of a block of at most :data:`MAX_HEADERS`
    bytes, found in one ``findall`` (bounded: one entry per line at most)."""
    found = _FIELD.findall(header_block)
    headers = [_new_header(Header, (name.decode("ascii"), whole)) for whole, name, _ in found if name]
    defects: list[str] = []
    if len(headers) != len(found):
        for _, name, line in found:
            if not name:
                _line_defect(line, defects)
    return headers, defects


def _parse_fields_streamed(header_block: bytes) -> tuple[list[Header], list[str]]:
    """The same for a larger block: matched lazily, stopping past :data:`MAX_HEADERS` fields."""
    headers: list[Header] = []
    defects: list[str] = []
    for match in _FIELD.finditer(header_block):
        whole, name, line = match.groups()
        if name is None:
            _line_defect(line, defects)
            continue
        headers.append(Header(name.decode("ascii"), whole))
        if len(headers) > MAX_HEADERS:
            raise MessageError(f"the message has more than {MAX_HEADERS} header fields")
    return headers, defects


def parse_message(data: bytes) -> Message:
    """Parse raw bytes into a :class:`Message`.

    Raises :class:`MessageError` for empty input or a header section beyond the limits.
    A leading mbox ``From `` line is skipped.
    """
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError("parse_message() takes bytes")
    data = bytes(data)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if not data or data.isspace():
        raise MessageError("the message is empty")
    data = normalize_line_endings(data)
    if data.startswith(b"From ") and b"\r\n" in data[:2000]:
        first = data[: data.index(b"\r\n")]
        if not _FIELD_NAME.fullmatch(first.split(b":", 1)[0]) or b":" not in first:
            data = data[len(first) + 2 :]
    end = data.find(b"\r\n\r\n")
    if data.startswith(b"\r\n"):
        header_block, body = b"", data[2:]
    elif end < 0:
        header_block, body = data if data.endswith(b"\r\n") else data + b"\r\n", None
    else:
        header_block, body = data[: end + 2], data[end + 4 :]
    if len(header_block) > MAX_HEADER_BYTES:
        raise MessageError(
            f"the header section is {len(header_block) // (1024 * 1024)} MiB, over the "
            f"{MAX_HEADER_BYTES // (1024 * 1024)} MiB limit"
        )
    if len(header_block) <= MAX_HEADERS:  # so at most MAX_HEADERS lines: a bounded findall
        headers, defects = _parse_fields(header_block)
    else:
        headers, defects = _parse_fields_streamed(header_block)
    if not headers and body is None:
        raise MessageError("no header fields found: this does not look like an e-mail message")
    return Message(tuple(headers), body, tuple(defects))


