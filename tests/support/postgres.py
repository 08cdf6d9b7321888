"""A throwaway PostgreSQL cluster on 127.0.0.1, started by the tests.

``PostgresServer()`` runs ``initdb`` in a temporary folder owned by the ``postgres``
user (``initdb`` refuses to run as root: ``runuser -u postgres`` when we are root),
starts it with ``pg_ctl`` on a free loopback port (socket in the same folder,
fsync off), and ``stop()`` removes everything.  See
``../shared/recipes/RECIPES.md`` section 4.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from tests.support.nsd import free_port


def pg_bin() -> Path | None:
    """The folder of the newest installed PostgreSQL server binaries."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    return Path(found[-1]).parent if found else None


def _as_postgres(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


class PostgresServer:
    """initdb + pg_ctl start on a free port; ``url(db)`` gives a store URL."""

    def __init__(self) -> None:
        bindir = pg_bin()
        if bindir is None:
            raise RuntimeError("PostgreSQL server binaries not found (apt-get install postgresql)")
        self.bindir = bindir
        self.root = Path(tempfile.mkdtemp(prefix="mw-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        subprocess.run(
            _as_postgres([str(bindir / "initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                          "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync"]),
            check=True, capture_output=True, timeout=120,
        )
        options = (f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.root} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off")
        subprocess.run(
            _as_postgres([str(bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "postgres.log"),
                          "-w", "-t", "60", "-o", options, "start"]),
            check=True, capture_output=True, timeout=120,
        )

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its ``postgresql://`` URL."""
        import psycopg

        name = name or f"mw_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname="postgres",
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
            capture_output=True, timeout=60, check=False,
        )
        shutil.rmtree(self.root, ignore_errors=True)
