"""Find the reports in whatever holds them: files, archives, e-mails, mailboxes, folders.

:func:`iter_reports` takes a path (file or directory) or bytes and yields one
:class:`~mailwarden.reports.model.Report` or
:class:`~mailwarden.reports.model.ReportError` per report found, in order.
The kind of each input is sniffed from its first bytes, never trusted from
its name: gzip (RFC 1952), zip, XML (aggregate, RFC 7489 appendix C),
JSON (SMTP-TLS, RFC 8460), an mbox (``From `` separated), or an e-mail
(RFC 5322) carrying the report as an attachment (RFC 7489 section 7.2.1.1,
RFC 8460 section 5.3), inline, or as an ARF failure report (RFC 5965).

Archives nest at most :attr:`Limits.max_container_depth` levels; zip members
are read in memory (never extracted), their names are only labels.  A
directory is walked recursively in name order without following symbolic
links; a Maildir's ``tmp/`` (messages still being delivered) is skipped, and
anything that is not a regular file (FIFO, device, socket) is never opened.
"""

from __future__ import annotations

import io
import lzma
import os
import re
import stat
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from itertools import chain

from mailwarden.bounces.mime import Part, decode_transfer, walk
from mailwarden.errors import InputError, MessageError, ReportParseError
from mailwarden.message import parse_message
from mailwarden.reports.aggregate import parse_aggregate
from mailwarden.reports.failure import from_arf, from_plain_text, looks_like_plain_failure
from mailwarden.reports.limits import (
    CHUNK,
    DEFAULT_LIMITS,
    Limits,
    MiB,
    bounded,
    gunzip,
    read_all,
    read_file_chunks,
)
from mailwarden.reports.model import Report, ReportError
from mailwarden.reports.tls import parse_tls

Item = Report | ReportError

_MBOX_SEPARATOR = re.compile(rb"^From [^\r\n]*\r?\n", re.MULTILINE)
_HEADER_LINE = re.compile(rb"^[!-9;-~]{1,76}:", re.MULTILINE)
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_REPORT_TYPES = {
    "application/gzip", "application/x-gzip", "application/zip", "application/x-zip-compressed",
    "application/x-zip", "text/xml", "application/xml", "application/octet-stream",
    "application/tlsrpt+gzip", "application/tlsrpt+json", "application/json", "application/x-gzip-compressed",
}
_REPORT_NAME = re.compile(r"\.(xml|gz|zip|json|gzip)$", re.IGNORECASE)


def iter_reports(item: str | os.PathLike[str] | bytes, *, source: str | None = None,
                 limits: Limits = DEFAULT_LIMITS) -> Iterator[Item]:
    """Every report in ``item`` (a file, a directory, or the bytes of one input).

    ``source`` labels bytes input (default ``"-"``); for paths the label is the
    path, extended by ``!member`` for archive members, ``#N`` for the N-th
    message of an mbox and ``/part-N`` for an e-mail's N-th report part.

    An aggregate report's records are streamed from the input: read them (or
    call ``to_json()``) before asking this iterator for the next item.
    Never raises for bad input; every problem is a :class:`ReportError`.
    """
    if isinstance(item, (bytes, bytearray, memoryview)):
        label = source or "-"
        yield from _guarded(label, lambda: _from_chunks([bytes(item)], label, 0, limits))
        return
    path = os.fspath(item)
    yield from _from_path(path, source or path, limits, top=True)


def _from_path(path: str, label: str, limits: Limits, *, top: bool = False) -> Iterator[Item]:
    try:
        info = os.stat(path) if top else os.lstat(path)
    except OSError as exc:
        yield ReportError(label, f"cannot read: {exc.strerror or exc}")
        return
    if stat.S_ISDIR(info.st_mode):
        yield from _from_directory(path, limits)
        return
    if stat.S_ISLNK(info.st_mode):  # in a directory walk: it could point anywhere (/dev/zero, a secret)
        yield ReportError(label, "a symbolic link: not followed")
        return
    if not stat.S_ISREG(info.st_mode):
        yield ReportError(label, "not a regular file: not read")
        return
    yield from _guarded(label, lambda: _from_file(path, label, limits))


def _from_directory(root: str, limits: Limits) -> Iterator[Item]:
    """Regular files below ``root``, recursively, in name order; symlinks are not followed."""
    visited = 0
    for directory, subdirs, files in os.walk(root, followlinks=False):
        subdirs.sort()
        if {"cur", "new", "tmp"} <= set(subdirs):  # a Maildir (RFC-less, see maildir(5))
            subdirs.remove("tmp")
        for name in sorted(files):
            visited += 1
            if visited > limits.max_files:
                yield ReportError(root, f"more than {limits.max_files} files: the rest was not read")
                return
            path = os.path.join(directory, name)
            yield from _from_path(path, path, limits)


def _from_file(path: str, label: str, limits: Limits) -> Iterator[Item]:
    if os.path.getsize(path) == 0:
        yield ReportError(label, "the file is empty: not a report")
        return
    yield from _from_chunks(read_file_chunks(path), label, 0, limits, path=path)


def _guarded(label: str, produce: object) -> Iterator[Item]:
    """Run a generator factory; turn input problems into :class:`ReportError` items."""
    try:
        yield from produce()  # type: ignore[operator]
    except (InputError, ValueError) as exc:
        yield ReportError(label, _one_line(str(exc)))
    except OSError as exc:
        yield ReportError(label, f"cannot read: {exc.strerror or exc}")
    except (zipfile.BadZipFile, EOFError, NotImplementedError, RuntimeError, zlib.error, lzma.LZMAError) as exc:
        yield ReportError(label, f"damaged archive: {_one_line(str(exc))}")


def _peek(chunks: Iterable[bytes], size: int = 4096) -> tuple[bytes, Iterator[bytes]]:
    """The first ``size`` bytes (or fewer at the end) and an iterator over everything."""
    iterator = iter(chunks)
    head: list[bytes] = []
    have = 0
    for chunk in iterator:
        if not chunk:
            continue
        head.append(chunk)
        have += len(chunk)
        if have >= size:
            break
    joined = b"".join(head)
    return joined[:size], chain([joined], iterator)


def sniff(head: bytes) -> str:
    """What the first bytes of an input are: gzip, zip, xml, json, mbox, email or unknown."""
    if head[:2] == b"\x1f\x8b":
        return "gzip"
    if head[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    text = head.lstrip(b"\xef\xbb\xbf").lstrip()
    if text[:1] == b"<":
        return "xml"
    if text[:1] in (b"{", b"["):
        return "json"
    if head[:5] == b"From " and _HEADER_LINE.search(head):
        return "mbox"
    if _HEADER_LINE.match(text):
        return "email"
    if text.startswith(b"\xff\xfe<") or text.startswith(b"\xfe\xff\x00<") or text.startswith(b"<\x00"):
        return "xml"
    return "unknown"


def _from_chunks(chunks: Iterable[bytes], label: str, depth: int, limits: Limits,
                 *, path: str | None = None) -> Iterator[Item]:
    head, stream = _peek(chunks)
    kind = sniff(head)
    if kind == "unknown":
        raise ReportParseError("not a report: neither XML, JSON, gzip, zip nor an e-mail" if head
                               else "empty: not a report")
    if kind in ("gzip", "zip") and depth >= limits.max_container_depth:
        raise ReportParseError(f"archives nested more than {limits.max_container_depth} deep: refused")
    if kind == "gzip":
        yield from _from_chunks(gunzip(stream, limits, what="gzip data"), label, depth + 1, limits)
    elif kind == "zip":
        yield from _from_zip(path, stream, label, depth, limits)
    elif kind == "xml":
        report = parse_aggregate(bounded(stream, limits.max_decompressed_bytes, "XML report"),
                                 source=label, limits=limits)
        try:
            yield report
        finally:
            report.records.close()
    elif kind == "json":
        yield parse_tls(read_all(stream, limits.max_json_bytes, "JSON report"), source=label)
    elif kind == "mbox":
        yield from _from_mbox(stream, label, depth, limits)
    else:
        data = read_all(stream, limits.max_message_bytes, "e-mail")
        yield from _from_email(data, label, depth, limits)


def _from_zip(path: str | None, stream: Iterator[bytes], label: str, depth: int,
              limits: Limits) -> Iterator[Item]:
    """Each member of a zip archive, read in memory up to its declared size; never extracted."""
    source: str | io.BytesIO = path if path is not None else io.BytesIO(
        read_all(stream, limits.max_message_bytes, "zip archive"))
    with zipfile.ZipFile(source) as archive:
        members = [m for m in archive.infolist() if not m.filename.endswith("/")]  # (is_dir() fails on "")
        if not members:
            raise ReportParseError("the zip archive holds no file")
        if len(members) > limits.max_zip_members:
            raise ReportParseError(f"the zip archive holds more than {limits.max_zip_members} files: refused")
        for member in members:
            member_label = f"{label}!{_printable(member.filename) or '(no name)'}"
            yield from _guarded(member_label, lambda m=member, ml=member_label: _from_member(
                archive, m, ml, depth, limits))


def _from_member(archive: zipfile.ZipFile, member: zipfile.ZipInfo, label: str, depth: int,
                 limits: Limits) -> Iterator[Item]:
    if member.flag_bits & 0x1:
        raise ReportParseError("encrypted zip member: not read")
    size, packed = member.file_size, max(member.compress_size, 1)
    if size > limits.max_decompressed_bytes:
        raise ReportParseError(f"zip member declares {size // MiB} MiB: refused (zip bomb?)")
    if size > limits.ratio_allowance and size > limits.max_ratio * packed:
        raise ReportParseError(f"zip member expands {size // packed} times: refused (zip bomb)")
    if size == 0:
        raise ReportParseError("empty zip member: not a report")

    def member_chunks() -> Iterator[bytes]:
        with archive.open(member) as data:
            while True:
                chunk = data.read(CHUNK)
                if not chunk:
                    return
                yield chunk

    yield from _from_chunks(member_chunks(), label, depth + 1, limits)


def _from_mbox(stream: Iterator[bytes], label: str, depth: int, limits: Limits) -> Iterator[Item]:
    """Messages of an mbox (``From `` line separated, RFC 4155), each read up to the message cap.

    A file holding one message (an .eml saved with its ``From `` line) keeps its plain label.
    """
    messages = _split_mbox(stream, limits)
    first = next(messages, _END)
    second = next(messages, _END)
    if second is _END:
        if isinstance(first, bytes):
            yield from _from_email(first, label, depth, limits)
        elif first is None:
            raise ReportParseError(f"message larger than {limits.max_message_bytes // MiB} MiB: not read")
        return
    for index, message in enumerate(chain([first, second], messages)):
        message_label = f"{label}#{index}"
        if not isinstance(message, bytes):
            yield ReportError(message_label, f"message larger than {limits.max_message_bytes // MiB} MiB: not read")
        else:
            yield from _guarded(message_label, lambda m=message, ml=message_label: _from_email(m, ml, depth, limits))


_END = object()


def _split_mbox(stream: Iterator[bytes], limits: Limits) -> Iterator[bytes | None]:
    """The messages of an mbox; ``None`` for one over ``max_message_bytes`` (skipped, not held).

    A ``From `` line starts a message at the beginning of the file or after an
    empty line (RFC 4155 section 2 / mboxrd); anything else is body text.
    """
    current: list[bytes] = []
    size = 0
    skipping = False
    started = False
    blank_before = True
    pending = b""
    for chunk in chain(stream, [b"\n"]):
        pending += chunk
        if len(pending) > limits.max_message_bytes and b"\n" not in pending:
            pending, skipping, current = b"", True, []
            continue
        lines = pending.split(b"\n")
        pending = lines.pop()
        for line in lines:
            if line.startswith(b"From ") and blank_before:
                if started:
                    yield None if skipping else b"".join(current)
                started, current, size, skipping, blank_before = True, [], 0, False, False
                continue
            blank_before = not line.strip()
            if not started or skipping:
                continue
            size += len(line) + 1
            if size > limits.max_message_bytes:
                skipping, current = True, []
                continue
            current.append(line + b"\n")
    if started:
        yield None if skipping else b"".join(current)


def _from_email(data: bytes, label: str, depth: int, limits: Limits) -> Iterator[Item]:
    """The reports an e-mail carries: attachments, inline XML/JSON, or an ARF failure report."""
    try:
        message = parse_message(data)
    except MessageError as exc:
        raise ReportParseError(f"not an e-mail: {exc}") from None
    parts = walk(message).parts
    feedback = next((p for p in parts if p.mime_type == "message/feedback-report"), None)
    if feedback is not None:
        original = next((p for p in parts if p.mime_type in ("message/rfc822", "text/rfc822-headers",
                                                                "message/global", "message/global-headers")
                         and p.depth == feedback.depth), None)
        yield from _guarded(label, lambda: iter([from_arf(label, feedback, original)]))
        return
    found = 0
    for number, part in enumerate(parts):
        if part.depth > 0:
            continue
        payload = _report_payload(part, limits)
        if payload is None:
            continue
        found += 1
        part_label = f"{label}/{_part_name(part) or f'part-{number}'}"
        yield from _guarded(part_label, lambda p=payload, pl=part_label: _from_chunks([p], pl, depth + 1, limits))
    if found:
        return
    for part in parts:
        if part.depth == 0 and part.text is not None and looks_like_plain_failure(part.text):
            yield from _guarded(label, lambda t=part.text: iter([from_plain_text(label, t)]))
            return
    yield ReportError(label, "no DMARC or SMTP-TLS report found in the e-mail")


def _report_payload(part: Part, limits: Limits) -> bytes | None:
    """The decoded body of a part that carries a report, or ``None``."""
    name = _part_name(part) or ""
    mime = part.mime_type
    cte = part.headers.get("Content-Transfer-Encoding") if part.headers is not None else None
    if mime in _REPORT_TYPES or _REPORT_NAME.search(name):
        data = decode_transfer(part.raw_body, cte, limit=limits.max_message_bytes)
        return data if sniff(data[:4096]) in ("gzip", "zip", "xml", "json") else None
    if part.content_type.maintype == "text" and part.text is not None:
        stripped = part.text.lstrip()
        if stripped.startswith(("<?xml", "<feedback")) or (stripped.startswith("{") and "policies" in stripped):
            return decode_transfer(part.raw_body, cte, limit=limits.max_message_bytes)
    return None


def _part_name(part: Part) -> str | None:
    name = part.content_type.params.get("name")
    if part.headers is not None:
        disposition = part.headers.get("Content-Disposition") or ""
        match = re.search(r'filename\*?\s*=\s*"?([^";]{1,255})', disposition[:4096], re.IGNORECASE)
        if match:
            name = match.group(1)
    return _printable(name) if name else None


def _printable(name: str) -> str:
    return _UNPRINTABLE.sub("?", name)[:255]


def _one_line(text: str) -> str:
    return " ".join(text.split())[:500]
