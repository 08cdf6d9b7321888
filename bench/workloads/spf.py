"""SPF evaluation (RFC 7208 section 4) of the (IP, MAIL FROM, HELO) queries: queries/s.

Tools: ``mailwarden-cold`` (no parsed-record cache: every record fetched and parsed
for every query, memo caches cleared), ``mailwarden-warm`` (one ``TTLCache`` for
the whole pass, as the filter runs), ``pyspf`` (``spf.check2`` with ``spf.DNSLookup``
replaced by the in-memory answers).  mailauth runs in node (bench/mailauth_runner.js).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.harness import load_queries, measure, rss_kb, worker_main


def run_mailwarden(data: Path, runs: int, limit: int | None = None, warm: bool = True) -> dict[str, Any]:
    from bench.workloads._mailwarden import NOW, event_loop, snapshot_resolver
    from mailwarden.cache import TTLCache, memo_clearers
    from mailwarden.spf import evaluate_spf

    queries = load_queries(data, limit)
    loaded = rss_kb()
    resolver = snapshot_resolver(data)
    loop = event_loop()
    work = [(q["ip"], q["mail_from"], q["helo"]) for q in queries]
    clearers = [] if warm else memo_clearers("mailwarden.spf.record")

    async def one_pass() -> list[str]:
        cache = TTLCache() if warm else None
        out = []
        for ip, mail_from, helo in work:
            for clear in clearers:
                clear()
            result = await evaluate_spf(resolver, ip, mail_from, helo, cache=cache, now=NOW)
            out.append(result.result)
        resolver.queries.clear()
        return out

    return measure(lambda: loop.run_until_complete(one_pass()), len(work), runs,
                   [q["expected"] for q in queries], "queries/s", loaded)


def run_mailwarden_cold(data: Path, runs: int, limit: int | None = None) -> dict[str, Any]:
    return run_mailwarden(data, runs, limit, warm=False)


def run_pyspf(data: Path, runs: int, limit: int | None = None) -> dict[str, Any]:
    import spf
    from bench.refdns import MemoryDNS

    queries = load_queries(data, limit)
    loaded = rss_kb()
    spf.DNSLookup = MemoryDNS.from_file(data / "dns.json").pyspf_lookup
    work = [(q["ip"], q["mail_from"], q["helo"]) for q in queries]

    def one_pass() -> list[str]:
        return [spf.check2(ip, mail_from, helo)[0] for ip, mail_from, helo in work]

    return measure(one_pass, len(work), runs, [q["expected"] for q in queries], "queries/s", loaded)


TOOLS = {"mailwarden-cold": run_mailwarden_cold, "mailwarden-warm": run_mailwarden, "pyspf": run_pyspf}

if __name__ == "__main__":
    worker_main(TOOLS)
