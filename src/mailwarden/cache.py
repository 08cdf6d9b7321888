"""The one cache protocol of mailwarden: bounded, TTL-respecting, with statistics.

An :class:`~mailwarden.auth.Authenticator` owns one :class:`TTLCache` and hands it
to every engine, which keeps there what DNS told it for as long as the DNS TTL
allows: parsed SPF policies and ``a``/``mx`` address sets (RFC 7208 sections 4.5,
5.3, 5.4), DKIM key records (RFC 6376 section 3.6.2) and DMARC records and
existence checks (RFC 9989 sections 4.7 and 4.10).  Each engine uses its own key
shape so the kinds never collide: SPF a lower-case name (policy) or
``(kind, name, ip version)``; DKIM ``("dkim-key", name)``; DMARC
``("dmarc", domain)`` and ``("exists", domain)``.

Temporary DNS failures are never put.  Least recently used entries go first
when the cache is full; callers refuse to put oversized values, so a hostile
policy cannot make the cache huge.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable


@dataclass(frozen=True)
class CacheStats:
    """What a cache holds and how it served (for monitoring a long-running filter)."""

    entries: int
    max_entries: int
    hits: int
    misses: int

    def to_json(self) -> dict[str, int]:
        return {"entries": self.entries, "max_entries": self.max_entries, "hits": self.hits, "misses": self.misses}


@runtime_checkable
class Cache(Protocol):
    """get/put/stats: what the engines need from a cache."""

    def now(self) -> float:
        """The cache's clock; one evaluation reads it once and passes it to :meth:`get`."""
        ...

    def get(self, key: Hashable, now: float | None = None) -> Any:
        """The live value for ``key``, or ``None``."""
        ...

    def put(self, key: Hashable, value: Any, ttl: float) -> None:
        """Keep ``value`` for ``ttl`` seconds (clamped to the cache's bounds; 0 = do not keep)."""
        ...

    def stats(self) -> CacheStats:
        ...


class TTLCache:
    """An LRU :class:`Cache` whose entries expire with their DNS TTL.

    ``max_entries`` bounds memory; ``max_ttl`` caps how long any answer is trusted
    (a hostile zone cannot pin a record for a week); ``min_ttl`` lets an operator
    keep very short-lived answers a little longer.
    """

    def __init__(self, max_entries: int = 10_000, max_ttl: float = 3600.0, min_ttl: float = 0.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self._entries: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._max_entries = max_entries
        self._max_ttl = max_ttl
        self._min_ttl = min_ttl
        self._clock = clock
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._entries)

    def now(self) -> float:
        return self._clock()

    def get(self, key: Hashable, now: float | None = None) -> Any:
        """The live entry for ``key``; ``now``: a clock reading to check expiry against
        (default: read the clock; ~40 ns saved per hit when the caller passes it)."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        if entry[0] <= (self._clock() if now is None else now):
            del self._entries[key]
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return entry[1]

    def put(self, key: Hashable, value: Any, ttl: float) -> None:
        ttl = min(max(ttl, self._min_ttl), self._max_ttl)
        if ttl <= 0:
            return
        self._entries[key] = (self._clock() + ttl, value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    def stats(self) -> CacheStats:
        return CacheStats(len(self._entries), self._max_entries, self.hits, self.misses)

    def clear(self) -> None:
        self._entries.clear()


#: Every :func:`memo` of the package, with the module that defined it.
_MEMOS: list[tuple[str, Any]] = []


def memo(maxsize: int) -> Callable[[Callable[..., Any]], Any]:
    """``functools.lru_cache(maxsize=...)`` for pure functions (record parsing, key decoding),
    registered by module so that :func:`memo_clearers` finds it without reflection."""
    import functools

    def wrap(func: Callable[..., Any]) -> Any:
        cached = functools.lru_cache(maxsize=maxsize)(func)
        _MEMOS.append((func.__module__, cached))
        return cached

    return wrap


def memo_clearers(*modules: str) -> list[Callable[[], None]]:
    """The ``cache_clear`` of every memo defined in ``modules`` (the benchmarks' "cold" runs call
    them before each item, so every record is parsed and every key decoded again)."""
    import importlib

    for name in modules:
        importlib.import_module(name)
    return [cached.cache_clear for module, cached in _MEMOS if module in modules]
