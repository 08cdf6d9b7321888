"""Synchronous access to an async :class:`~mailwarden.dns.base.Resolver`.

For code paths that cannot be async (e.g. a milter callback thread). Each
:class:`SyncResolver` owns a private event loop; do not use it from inside a
running loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

from mailwarden.dns.base import Answer, Resolver

T = TypeVar("T")


class SyncResolver:
    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._loop = asyncio.new_event_loop()

    def query(self, name: str, rdtype: str) -> Answer:
        return self._loop.run_until_complete(self.resolver.query(name, rdtype))

    def run(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run any coroutine (e.g. an engine evaluation) on this resolver's loop."""
        return self._loop.run_until_complete(coro)

    def close(self) -> None:
        if not self._loop.is_closed():
            self._loop.run_until_complete(self.resolver.aclose())
            self._loop.close()
