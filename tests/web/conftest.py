"""Fixtures for the web tests: the app under a TestClient, and under uvicorn for Chromium.

Browser tests drive Debian's Chromium through Playwright (recipes section 6)
against uvicorn on a free loopback port; screenshots of every page go to
``tests/web/artifacts/`` (git-ignored) or ``$MAILWARDEN_WEB_ARTIFACTS``.
"""

from __future__ import annotations

import json
import os
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import IN_CI, REPO
from tests.support.nsd import free_port

EXAMPLE = REPO / "examples" / "spoofed-from-self"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def example_dns() -> dict[str, Any]:
    return json.loads((EXAMPLE / "dns.json").read_text())


def example_message() -> bytes:
    return (EXAMPLE / "message.eml").read_bytes()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, "no CSRF field on the page"
    return found.group(1)


@pytest.fixture
def client_for(tmp_path):
    """``client_for(**config)`` -> a Starlette TestClient of ``create_app(**config)`` (the reports store
    defaults to an empty file in ``tmp_path``, never the user's own)."""
    import warnings

    with warnings.catch_warnings():  # Starlette 1.x suggests httpx2; httpx is what its TestClient runs on
        warnings.simplefilter("ignore", DeprecationWarning)
        from starlette.testclient import TestClient

    from mailwarden.web import create_app

    clients = []

    def make(**config: Any) -> Any:
        config.setdefault("db_url", str(tmp_path / "reports.db"))
        c = TestClient(create_app(**config), base_url="http://127.0.0.1")
        clients.append(c)
        return c

    yield make
    for c in clients:
        c.close()


@pytest.fixture
def client(client_for):
    return client_for(dns=example_dns())


class LiveServer:
    """uvicorn serving one app on a free 127.0.0.1 port in a thread of this process."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="off",
                                access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True, name=f"uvicorn-{self.port}")

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 15
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture
def serve():
    """``serve(app)`` -> a started :class:`LiveServer` (stopped after the test)."""
    servers: list[LiveServer] = []

    def start(app: Any) -> LiveServer:
        server = LiveServer(app).__enter__()
        servers.append(server)
        return server

    yield start
    for s in servers:
        s.__exit__(None, None, None)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """Debian's Chromium under Playwright (skipped outside CI when either is missing).

    Module-scoped: Playwright's sync API keeps an event loop running in this thread
    while it is open, which would break ``asyncio.run`` in the tests that follow.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if IN_CI:
            pytest.fail("playwright is not installed")
        pytest.skip("playwright is not installed")
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="session")
def artifacts() -> Path:
    path = Path(os.environ.get("MAILWARDEN_WEB_ARTIFACTS", REPO / "tests" / "web" / "artifacts"))
    path.mkdir(parents=True, exist_ok=True)
    return path


class Watched:
    """A page that records every dialog and page error (a script that ran)."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def assert_no_script(self) -> None:
        """No dialog fired, no script element or event-handler attribute reached the DOM."""
        self.page.wait_for_timeout(150)
        assert self.dialogs == []
        assert self.errors == []
        found = self.page.evaluate(
            """() => {
                const bad = [];
                for (const el of document.querySelectorAll('*')) {
                    if (el.tagName === 'SCRIPT' || el.tagName === 'IFRAME' || el.tagName === 'OBJECT') bad.push(el.tagName);
                    for (const a of el.attributes) {
                        if (a.name.toLowerCase().startsWith('on') || /^\\s*javascript:/i.test(a.value)) bad.push(el.tagName + ' ' + a.name);
                    }
                }
                return bad;
            }""")
        assert found == []


@pytest.fixture
def open_page(browser):
    """``open_page(bypass_csp=False, viewport=DESKTOP)`` -> a :class:`Watched` page in a fresh context."""
    contexts = []

    def make(*, bypass_csp: bool = False, viewport: dict[str, int] = DESKTOP) -> Watched:
        ctx = browser.new_context(viewport=viewport, bypass_csp=bypass_csp, java_script_enabled=True)
        contexts.append(ctx)
        return Watched(ctx.new_page())

    yield make
    for ctx in contexts:
        ctx.close()


def shoot(page: Any, artifacts: Path, name: str) -> Path:
    """Full-page screenshot at desktop and phone width."""
    path = artifacts / f"{name}-desktop.png"
    page.set_viewport_size(DESKTOP)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(PHONE)
    page.screenshot(path=str(artifacts / f"{name}-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    return path


@pytest.fixture(scope="session")
def corpus_store(tmp_path_factory, corpora) -> str:
    """A SQLite store filled from ../shared/corpora/dmarc-reports (once per session)."""
    from mailwarden.reports.ingest import ingest
    from mailwarden.reports.store import Store

    reports = corpora / "dmarc-reports"
    if not reports.exists():
        if IN_CI:
            pytest.fail(f"{reports} not found")
        pytest.skip(f"{reports} not found")
    path = str(tmp_path_factory.mktemp("web-store") / "reports.db")
    with Store.open(path) as store:
        result = ingest(store, [reports])
    assert result.added > 10
    return path


@pytest.fixture(scope="session")
def hostile_store(tmp_path_factory) -> str:
    """A SQLite store whose reports carry markup in every field a reporter or sender writes."""
    from tests.web.hostile import hostile_reports

    from mailwarden.reports.store import Store

    path = str(tmp_path_factory.mktemp("web-hostile") / "reports.db")
    with Store.open(path) as store:
        for n, (header, records) in enumerate(hostile_reports()):
            store.writer.add_aggregate(header, records, source=f"<script>alert('source{n}')</script>.xml")
    return path
