"""Where the store lives and how it is opened: URL rules, engine set-up, migrations.

SPEC section 12: ``--db URL`` or ``MAILWARDEN_DB``; by default an SQLite file in the
user's data directory (``$XDG_DATA_HOME/mailwarden/reports.db``); ``postgresql://...``
for a shared store (driven by psycopg 3).  The schema is versioned with Alembic
revisions shipped in this package (``migrations/``) and upgraded by the tool itself
when a store is opened.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from mailwarden.errors import InputError

#: The newest migration; :func:`migrate` skips Alembic entirely when a store is at it.
HEAD_REVISION = "0002"


class StoreError(InputError):
    """A store URL that cannot be used, or a database that cannot be reached."""


def default_path() -> Path:
    """``$XDG_DATA_HOME/mailwarden/reports.db`` (XDG Base Directory: ``~/.local/share`` by default)."""
    base = os.environ.get("XDG_DATA_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local" / "share"
    return root / "mailwarden" / "reports.db"


def resolve_url(url: str | None = None) -> str:
    """The SQLAlchemy URL for ``--db``, ``MAILWARDEN_DB`` or the default file.

    A plain path means an SQLite file; ``postgresql://`` and ``postgres://`` use psycopg 3.
    """
    url = url or os.environ.get("MAILWARDEN_DB") or ""
    if not url:
        path = default_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{path}"
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    if "://" not in url:
        return f"sqlite:///{Path(url).expanduser().resolve()}"
    return url


def create_store_engine(url: str | None = None) -> Engine:
    """An engine for the store; SQLite gets WAL, a busy timeout and normal sync."""
    resolved = resolve_url(url)
    try:
        parsed = make_url(resolved)
    except ArgumentError:
        raise StoreError(f"--db: not a database URL: {_redact(resolved)}") from None
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(f"--db: unsupported database {parsed.get_backend_name()!r} (use a file path or postgresql://)")
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
    except (ImportError, SQLAlchemyError) as exc:
        raise StoreError(f"--db: cannot use {_redact(resolved)}: {exc}") from None
    return engine


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def current_revision(engine: Engine) -> str | None:
    """The store's schema revision, ``None`` for an empty database."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def migrate(engine: Engine) -> None:
    """Bring the schema to :data:`HEAD_REVISION` with the shipped Alembic migrations."""
    try:
        if current_revision(engine) == HEAD_REVISION:
            return
        from alembic import command
        from alembic.config import Config

        config = Config()
        config.set_main_option("script_location", "mailwarden.reports.store:migrations")
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
    except SQLAlchemyError as exc:
        raise StoreError(f"cannot open the report store {_redact(str(engine.url))}: {_first_line(exc)}") from None


def _first_line(exc: BaseException) -> str:
    text_ = str(getattr(exc, "orig", None) or exc)
    return text_.strip().splitlines()[0] if text_.strip() else type(exc).__name__


def _redact(url: str) -> str:
    """A URL without its password (never print a secret)."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<invalid URL>"
