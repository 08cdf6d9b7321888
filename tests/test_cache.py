"""The one cache protocol (mailwarden.cache): bounded, TTL-respecting, with statistics."""

from __future__ import annotations

import pytest

from mailwarden.cache import Cache, TTLCache


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_entries_expire_with_their_ttl_capped_by_max_ttl():
    clock = Clock()
    cache = TTLCache(max_ttl=100, clock=clock)
    cache.put("short", 1, 10)
    cache.put("long", 2, 86400)  # a hostile week-long TTL is capped
    clock.t += 9
    assert cache.get("short") == 1
    clock.t += 2
    assert cache.get("short") is None
    clock.t += 88
    assert cache.get("long") == 2
    clock.t += 1
    assert cache.get("long") is None


def test_zero_ttl_is_not_kept_and_min_ttl_extends():
    clock = Clock()
    cache = TTLCache(clock=clock)
    cache.put("k", 1, 0)
    assert cache.get("k") is None
    floor = TTLCache(min_ttl=30, clock=clock)
    floor.put("k", 1, 0)
    clock.t += 29
    assert floor.get("k") == 1


def test_least_recently_used_goes_first_and_stats_count():
    cache = TTLCache(max_entries=2)
    cache.put("a", 1, 60)
    cache.put("b", 2, 60)
    assert cache.get("a") == 1  # a is now the most recent
    cache.put("c", 3, 60)
    assert cache.get("b") is None and cache.get("a") == 1 and cache.get("c") == 3
    stats = cache.stats()
    assert (stats.entries, stats.max_entries, stats.hits, stats.misses) == (2, 2, 3, 1)
    assert stats.to_json() == {"entries": 2, "max_entries": 2, "hits": 3, "misses": 1}


def test_is_a_cache_and_refuses_an_empty_bound():
    assert isinstance(TTLCache(), Cache)
    with pytest.raises(ValueError):
        TTLCache(max_entries=0)
