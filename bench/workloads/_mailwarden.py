"""Shared set-up for mailwarden's side of the workloads (product interpreter only)."""

from __future__ import annotations

import asyncio
import importlib
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


def clear_memo_caches(*modules: str) -> int:
    """Clear every ``functools`` memo cache at module level (for the "cold" variants); returns how many."""
    cleared = 0
    for name in modules:
        module = importlib.import_module(name)
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)) and getattr(value, "__module__", None) == name:
                value.cache_clear()
                cleared += 1
    return cleared
