"""Shared fixtures: where the external conformance corpora live, and the CLI runner.

The corpora are read from ``$MAILWARDEN_CORPORA`` or ``../shared/corpora`` next to
the repository; they are never copied into it.  When ``CI=true`` a missing corpus
is a failure, elsewhere the test is skipped with the reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# Property tests (hypothesis): a short bounded run by default; the long fuzzing run is
#   python -m pytest -q -p no:cacheprovider tests/message/test_fuzz_parsers.py --hypothesis-profile=long
# (or MAILWARDEN_FUZZ=long).  A find is kept as a regression test (an @example or a plain test).
from hypothesis import settings as _hypothesis_settings  # noqa: E402

_hypothesis_settings.register_profile("default", deadline=None, max_examples=100)
_hypothesis_settings.register_profile("long", deadline=None, max_examples=20_000)
_hypothesis_settings.load_profile(os.environ.get("MAILWARDEN_FUZZ", "default"))
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def corpora_root() -> Path:
    return Path(os.environ.get("MAILWARDEN_CORPORA", REPO.parent / "shared" / "corpora")).resolve()


def shared_root() -> Path:
    return corpora_root().parent


def require_path(path: Path, what: str) -> Path:
    """Return ``path`` if it exists; fail in CI, skip elsewhere."""
    if path.exists():
        return path
    message = f"{what} not found at {path} (set MAILWARDEN_CORPORA)"
    if IN_CI:
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def corpora() -> Path:
    """The corpora folder (../shared/corpora by default)."""
    return require_path(corpora_root(), "conformance corpora")


@pytest.fixture(scope="session")
def shared() -> Path:
    """The ../shared folder (examples, tools, recipes)."""
    return require_path(shared_root(), "shared folder")


def run_cli(*args: str, input: bytes | None = None, timeout: float = 60) -> subprocess.CompletedProcess[bytes]:
    """Run ``python -m mailwarden ARGS`` as a user would; returns the completed process."""
    return subprocess.run(
        [sys.executable, "-m", "mailwarden", *args],
        input=input,
        capture_output=True,
        timeout=timeout,
        check=False,
    )


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture(scope="session")
def nsd_factory():
    """Start real NSD servers on loopback: ``server = nsd_factory({"zone.test": "zone text"})``.

    Every server started is stopped at the end of the session. Without nsd the
    test fails in CI and is skipped elsewhere.
    """
    from tests.support.nsd import NSDServer, nsd_binary

    if nsd_binary() is None:
        message = "nsd is not installed (apt-get install nsd)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    servers = []

    def start(zones: dict[str, str]) -> NSDServer:
        server = NSDServer(zones)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
