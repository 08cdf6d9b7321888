"""Helpers for the diagnose tests: the shared example cases, read in place (never copied)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from mailwarden.auth import Authenticator
from mailwarden.diagnose.service import diagnose_message
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.message import parse_message

OWNER = {"domains": ["example.com"], "trusted_authserv_ids": ["mx.mailhost.example"]}


class Case:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.meta = json.loads((folder / "case.json").read_text())
        self.raw = (folder / "message.eml").read_bytes().replace(b"\r\n", b"\n")  # LF: easy to edit in tests
        self.dns = json.loads((folder / "dns.json").read_text())
        args = self.meta["args"]
        self.now = float(args[args.index("--now") + 1])

    @property
    def expected(self) -> str:
        return self.meta["expect"]["verdict"]


@pytest.fixture(scope="session")
def cases(shared: Path) -> dict[str, Case]:
    root = shared / "examples" / "diagnose"
    return {p.parent.name: Case(p.parent) for p in sorted(root.glob("*/case.json"))}


def run(raw: bytes, dns: dict, *, now: float | None = None, resolver=None, **kwargs):
    """Diagnose raw message bytes against a snapshot (or a given resolver) in one session."""
    options = {**OWNER, **kwargs}
    resolver = resolver or SnapshotResolver.from_dict(dns)

    async def session():
        async with Authenticator(resolver) as auth:
            return await diagnose_message(auth, parse_message(raw), now=now, **options)

    return asyncio.run(session())
