"""Ingest reports into the store: files, folders, bytes (and IMAP through :mod:`mailwarden.reports.imap`).

Every item :func:`~mailwarden.reports.containers.iter_reports` finds is stored in its
own transaction (:class:`~mailwarden.reports.store.writer.ReportWriter`); an input
that gives no report, or a report that breaks while its records are read, is kept
as a rejected input with its error.  Nothing here raises for bad input: the
counts say what happened (SPEC section 12: ``ingest`` exits 0 and prints how many
reports were added, already known and rejected).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from mailwarden.errors import ReportParseError
from mailwarden.reports.containers import Item, iter_reports
from mailwarden.reports.limits import DEFAULT_LIMITS, Limits
from mailwarden.reports.model import ReportError
from mailwarden.reports.store import Outcome, ReportRefused, Store

#: Rejected inputs listed in a result (all of them are in the store).
MAX_LISTED_ERRORS = 100

#: Called after every item with its source and what happened ("added", "known", "rejected").
Progress = Callable[[str, str], None]


@dataclass(frozen=True)
class IngestResult:
    """How many reports were added, already known and rejected, and the first errors."""

    added: int
    known: int
    rejected: int
    errors: tuple[tuple[str, str], ...] = ()
    moved: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"added": self.added, "known": self.known, "rejected": self.rejected, "moved": self.moved,
                "errors": [{"source": source, "error": error} for source, error in self.errors]}


@dataclass
class Ingestor:
    """Stores items one transaction each and counts the outcomes."""

    store: Store
    limits: Limits = DEFAULT_LIMITS
    progress: Progress | None = None
    added: int = 0
    known: int = 0
    rejected: int = 0
    moved: int = 0
    errors: list[tuple[str, str]] = field(default_factory=list)

    def add_items(self, items: Iterable[Item]) -> tuple[int, int, int]:
        """Store every item; returns (added, known, rejected) for these items."""
        counts = [0, 0, 0]
        for item in items:
            outcome = self._add(item)
            counts[("added", "known", "rejected").index(outcome)] += 1
            if self.progress is not None:
                self.progress(item.source, outcome)
        return counts[0], counts[1], counts[2]

    def add_path(self, path: str | os.PathLike[str]) -> tuple[int, int, int]:
        """A file, a directory (recursively), an mbox or a Maildir."""
        return self.add_items(iter_reports(path, limits=self.limits))

    def add_bytes(self, data: bytes, source: str) -> tuple[int, int, int]:
        """One input given as bytes (standard input, an IMAP message)."""
        return self.add_items(iter_reports(data, source=source, limits=self.limits))

    def _add(self, item: Item) -> str:
        if isinstance(item, ReportError):
            return self._reject(item.source, item.error)
        try:
            outcome = self.store.writer.add_report(item)
        except (ReportParseError, ReportRefused) as exc:
            return self._reject(item.source, str(exc))
        if outcome is Outcome.ADDED:
            self.added += 1
        else:
            self.known += 1
        return outcome.value

    def _reject(self, source: str, error: str) -> str:
        error = " ".join(error.split())[:1000]
        self.store.writer.add_rejected(source, error)
        self.rejected += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append((source, error))
        return "rejected"

    def result(self) -> IngestResult:
        return IngestResult(self.added, self.known, self.rejected, tuple(self.errors), self.moved)


def ingest(store: Store, sources: Iterable[str | os.PathLike[str]], *, limits: Limits = DEFAULT_LIMITS,
           progress: Progress | None = None) -> IngestResult:
    """Ingest files and folders into ``store``."""
    ingestor = Ingestor(store, limits, progress)
    for source in sources:
        ingestor.add_path(source)
    return ingestor.result()
