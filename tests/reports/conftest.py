"""Store fixtures: every store test runs on SQLite and on a real PostgreSQL.

The PostgreSQL cluster is started once per session (``tests/support/postgres.py``);
each test gets a fresh database in it, or a fresh SQLite file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.conftest import IN_CI
from tests.support.postgres import PostgresServer, pg_bin


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    if pg_bin() is None:
        if IN_CI:
            pytest.fail("PostgreSQL server binaries not found (scripts/test.sh installs postgresql)")
        pytest.skip("PostgreSQL server binaries not found")
    server = PostgresServer()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A URL of an empty store, once per backend."""
    if request.param == "sqlite":
        return str(tmp_path / "reports.db")
    return request.getfixturevalue("postgres").create_database()


@pytest.fixture
def store(store_url: str) -> Iterator[object]:
    from mailwarden.reports.store import Store

    opened = Store.open(store_url)
    try:
        yield opened
    finally:
        opened.close()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[object]:
    from tests.support.dovecot import DovecotServer, dovecot_binary

    if dovecot_binary() is None:
        if IN_CI:
            pytest.fail("dovecot not installed (scripts/test.sh installs dovecot-imapd)")
        pytest.skip("dovecot not installed")
    server = DovecotServer()
    try:
        yield server
    finally:
        server.stop()
