"""Shared set-up for mailwarden's side of the workloads (product interpreter only)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

#: Evaluation time: ten minutes after the corpus signatures' t=.
NOW = 1_760_000_600.0


def snapshot_resolver(data: Path) -> Any:
    """mailwarden's snapshot resolver over the same dns.json every tool reads."""
    from mailwarden.dns.snapshot import SnapshotResolver

    return SnapshotResolver.from_file(data / "dns.json")


def event_loop() -> asyncio.AbstractEventLoop:
    """One loop for the whole worker, as a long-running filter has."""
    return asyncio.new_event_loop()
