"""The report store: SQLite by default, PostgreSQL for a shared store (SPEC section 12).

    store = Store.open("reports.db")          # or None: $MAILWARDEN_DB, else the XDG data file
    store.writer.add_aggregate(header, records, source="file.xml.gz")
    store.close()

Opening a store applies the shipped schema migrations.
"""

from __future__ import annotations

from sqlalchemy import Engine

from mailwarden.reports.store.engine import (
    HEAD_REVISION,
    StoreError,
    create_store_engine,
    default_path,
    migrate,
    resolve_url,
)
from mailwarden.reports.store.writer import Outcome, ReportRefused, ReportWriter


class Store:
    """An open, migrated report store."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.writer = ReportWriter(engine)

    @classmethod
    def open(cls, url: str | None = None) -> Store:
        engine = create_store_engine(url)
        migrate(engine)
        return cls(engine)

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


__all__ = [
    "HEAD_REVISION",
    "Outcome",
    "ReportRefused",
    "ReportWriter",
    "Store",
    "StoreError",
    "default_path",
    "resolve_url",
]
