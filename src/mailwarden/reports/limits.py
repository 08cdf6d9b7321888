"""Caps that keep hostile report inputs bounded in time and memory (SPEC section 10).

Every byte a report carries is attacker text.  Inputs are read as streams of
chunks and the caps below are checked while reading, so a gzip bomb, a zip
bomb or a 1 GB text node is refused after a bounded amount of work:

* decompressed output is capped in absolute size and, beyond a small
  allowance, in its ratio to the compressed input (gzip RFC 1952, zip);
* a zip member is read in memory up to its declared size (``ZipExtFile``
  never returns more), never extracted to disk;
* e-mails and TLS-RPT JSON are read whole, so they have their own, smaller caps.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from mailwarden.errors import ReportParseError

KiB = 1024
MiB = 1024 * KiB
GiB = 1024 * MiB

#: Size of the chunks read from files and decompressors.
CHUNK = 256 * KiB


@dataclass(frozen=True)
class Limits:
    """Caps for one parse; the defaults admit a 500,000-record report (~0.5 GB of XML)."""

    #: Most bytes of report text after decompression (per report).
    max_decompressed_bytes: int = 2 * GiB
    #: Most decompressed/compressed ratio once more than ``ratio_allowance`` was produced.
    max_ratio: int = 150
    ratio_allowance: int = 16 * MiB
    #: Largest e-mail (whole .eml, mbox message or Maildir file) read in memory.
    max_message_bytes: int = 64 * MiB
    #: Largest TLS-RPT JSON document (read whole; RFC 8460 reports are small).
    max_json_bytes: int = 32 * MiB
    #: Most members read from one zip archive, and archives inside archives.
    max_zip_members: int = 64
    max_container_depth: int = 3
    #: Largest single XML element below the root (a record, the metadata ...), in input bytes.
    max_element_bytes: int = 4 * MiB
    #: Most elements below the root that are not records (junk that only costs time).
    max_unknown_elements: int = 100_000
    #: Longest text kept for one field; longer values are cut with a warning.
    max_field_chars: int = 2048
    #: Most records read before both report_metadata and policy_published were seen.
    max_records_before_header: int = 10_000
    #: Most XML repairs reported before the input is called hopeless.
    max_xml_errors: int = 1000
    #: Most files a directory walk visits.
    max_files: int = 1_000_000


DEFAULT_LIMITS = Limits()


def read_file_chunks(path: str, *, size: int = CHUNK) -> Iterator[bytes]:
    """The bytes of a regular file, chunk by chunk (closes it when done or abandoned)."""
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(size)
            if not chunk:
                return
            yield chunk


def bounded(chunks: Iterable[bytes], limit: int, what: str) -> Iterator[bytes]:
    """Pass ``chunks`` through, refusing once more than ``limit`` bytes went by."""
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise ReportParseError(f"{what} is larger than {limit // MiB} MiB: refused")
        yield chunk


def read_all(chunks: Iterable[bytes], limit: int, what: str) -> bytes:
    """Join ``chunks`` into memory, refusing more than ``limit`` bytes."""
    return b"".join(bounded(chunks, limit, what))


def gunzip(chunks: Iterable[bytes], limits: Limits = DEFAULT_LIMITS, *, what: str = "gzip data") -> Iterator[bytes]:
    """Decompress gzip (RFC 1952, also several concatenated members) as a stream of chunks.

    Output is produced ``CHUNK`` bytes at a time (``max_length``), so a bomb
    never materializes; the absolute and ratio caps of ``limits`` are checked
    after every step.  Trailing garbage after a complete member is ignored.
    """
    inflater = zlib.decompressobj(wbits=31)
    consumed = 0
    produced = 0
    finished = False
    for chunk in chunks:
        consumed += len(chunk)
        data = chunk
        while data and not finished:
            try:
                out = inflater.decompress(data, CHUNK)
            except zlib.error as exc:
                raise ReportParseError(f"{what} is corrupt: {exc}") from None
            data = inflater.unconsumed_tail
            if out:
                produced += len(out)
                _check_ratio(produced, consumed, limits, what)
                yield out
            if inflater.eof:
                rest = inflater.unused_data + data
                data = b""
                if rest[:2] == b"\x1f\x8b":
                    inflater = zlib.decompressobj(wbits=31)
                    data = rest
                else:
                    finished = True
    if not finished and not inflater.eof:
        try:
            tail = inflater.flush()
        except zlib.error as exc:  # pragma: no cover - flush of a truncated stream rarely raises
            raise ReportParseError(f"{what} is corrupt: {exc}") from None
        if tail:
            produced += len(tail)
            _check_ratio(produced, consumed, limits, what)
            yield tail
        if produced == 0:
            raise ReportParseError(f"{what} is truncated: no data could be decompressed")


def _check_ratio(produced: int, consumed: int, limits: Limits, what: str) -> None:
    if produced > limits.max_decompressed_bytes:
        raise ReportParseError(
            f"{what} decompresses to more than {limits.max_decompressed_bytes // MiB} MiB: refused (decompression bomb?)")
    if produced > limits.ratio_allowance and produced > limits.max_ratio * max(consumed, 1):
        raise ReportParseError(
            f"{what} decompresses more than {limits.max_ratio} times its size: refused (decompression bomb)")
