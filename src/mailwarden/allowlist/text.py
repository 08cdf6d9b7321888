"""Turning an allow-list file into text lines, with the limits every parser shares.

Line numbers are 1-based physical lines: a UTF-8 BOM adds none, CRLF is one
line end.  Input that is not text (NUL bytes, mostly control characters) is an
:class:`~mailwarden.errors.InputError`, never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mailwarden.errors import InputError

if TYPE_CHECKING:
    from mailwarden.allowlist.results import Entry

#: Chooses, past MAX_ENTRIES, the entries still worth keeping (those that can concern the owner),
#: from the entry's kind and normalised pattern.
Keep = Callable[[str, str], bool]

#: Entries kept from one file (a 1,000,000-line list stays bounded in memory).
MAX_ENTRIES = 200_000
#: Past MAX_ENTRIES, up to this many more entries are kept when the ``keep`` predicate selects them.
MAX_KEPT = 100_000
#: Unparseable lines reported one by one; the rest are counted.
MAX_PROBLEMS = 500
#: A physical line longer than this is reported and not parsed.
MAX_LINE = 8192
#: Characters of an offending line quoted in a report.
QUOTE = 120


def decode(data: bytes) -> str:
    """Text of an allow-list file: UTF-8 (BOM optional), UTF-16 with BOM, else Windows-1252."""
    if data.startswith(b"\xff\xfe") or data.startswith(b"\xfe\xff"):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise InputError(
                "the allow list starts with a UTF-16 byte-order mark but is not UTF-16"
            ) from None
    sample = data[:65536]
    if b"\0" in sample:
        raise InputError("the allow list is binary data (it contains NUL bytes), not a text file")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", "replace")
    head = text[:65536]
    if head:
        control = sum(
            1 for c in head if (c < " " and c not in "\t\r\n\f") or c == "\ufffd" or "\x7f" <= c < "\xa0"
        )
        if control > max(8, len(head) // 10):
            raise InputError("the allow list is binary data (mostly control characters), not a text file")
    return text


def split_lines(text: str) -> list[str]:
    """Physical lines: LF, CRLF or lone CR end a line (a final line end adds no empty line)."""
    text = text.lstrip("\ufeff")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return lines


def quote(line: str) -> str:
    line = line.strip()
    return line if len(line) <= QUOTE else line[:QUOTE] + "..."


class Collector:
    """Accumulates entries and problems under the shared limits."""

    def __init__(self, keep: Keep | None = None) -> None:
        from mailwarden.allowlist.results import Problem

        self.keep = keep
        self.kept = 0
        self.dropped = 0
        self.entries: list[Entry] = []
        self.problems: list[Problem] = []
        self.problems_omitted = 0
        self.truncated = False
        self.notes: list[str] = []
        self._Problem = Problem

    def wants(self, kind: str, pattern: str) -> bool:
        """Is there room for an entry of this kind and pattern?  Counts it as skipped when not."""
        if len(self.entries) < MAX_ENTRIES:
            return True
        self.truncated = True
        if self.keep is not None and self.kept < MAX_KEPT and self.keep(kind, pattern):
            return True
        self.dropped += 1
        return False

    def store(self, entry: Entry) -> None:
        """Store an entry that :meth:`wants` accepted (hot paths ask first, before building it)."""
        if len(self.entries) >= MAX_ENTRIES:
            self.kept += 1
        self.entries.append(entry)

    def add(self, entry: Entry) -> None:
        """Store ``entry`` if there is room for it (see :meth:`wants`)."""
        if self.wants(entry.kind, entry.pattern):
            self.store(entry)

    def problem(self, line: int, text: str, reason: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(self._Problem(line, quote(text), reason))
        else:
            self.problems_omitted += 1

    def note(self, text: str) -> None:
        if text not in self.notes and len(self.notes) < 50:
            self.notes.append(text)

    def result(self, fmt: str, lines: int):
        from mailwarden.allowlist.results import ParsedAllowlist

        if self.truncated:
            kept = (
                f"; {self.kept} later entries that can concern you were kept" if self.keep is not None else ""
            )
            self.note(
                f"only the first {MAX_ENTRIES} entries were kept, {self.dropped} later ones were skipped{kept}"
            )
        return ParsedAllowlist(
            format=fmt,
            entries=tuple(self.entries),
            problems=tuple(self.problems),
            lines=lines,
            truncated=self.truncated,
            problems_omitted=self.problems_omitted,
            notes=tuple(self.notes),
        )
