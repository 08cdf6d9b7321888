"""Worker-side measurement helpers (standard library only: runs under any interpreter).

A worker loads the data set, runs one untimed warm-up pass, then ``runs`` timed
passes over every item in one process, and prints one JSON object: the rate of
each pass, the median, the peak RSS (``VmHWM``) and the RSS after loading the
data, and how many outcomes agree with the expected ones.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def rss_kb() -> int:
    """Peak resident set size of this process so far, in KiB.

    Linux ``VmHWM`` (high-water mark of this address space).  ``ru_maxrss`` is the
    fallback only: Linux carries it across fork+exec, so a worker started by a
    large parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def load_messages(data: Path, limit: int | None = None) -> tuple[list[bytes], list[dict[str, Any]]]:
    """The messages (first ``limit`` only, when given) and their manifest entries."""
    manifest = json.loads((data / "manifest.json").read_text())
    blob = (data / "messages.bin").read_bytes()
    entries = manifest["messages"][:limit]
    return [blob[e["offset"]:e["offset"] + e["length"]] for e in entries], entries


def load_queries(data: Path, limit: int | None = None) -> list[dict[str, str]]:
    return json.loads((data / "spf_queries.json").read_text())[:limit]


def measure(one_pass: Callable[[], list[str]], items: int, runs: int, expected: Sequence[str],
            unit: str, loaded_kb: int, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Time ``runs`` passes of ``one_pass`` (after one warm-up) and compare its outcomes to ``expected``."""
    outcomes = one_pass()  # warm-up: imports, first-call costs, JIT for node-like runtimes
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        one_pass()
        times.append(time.perf_counter() - start)
    rates = [items / t for t in times]
    agree = sum(1 for got, want in zip(outcomes, expected, strict=True) if got == want)
    result = {
        "items": items, "unit": unit, "runs": runs, "seconds": times, "rates": rates,
        "median": statistics.median(rates), "rss_peak_kb": rss_kb(), "rss_loaded_kb": loaded_kb,
        "agree": agree, "outcomes": dict(Counter(outcomes)),
        "disagreements": [[i, got, want] for i, (got, want) in enumerate(zip(outcomes, expected, strict=True))
                          if got != want][:5],
    }
    if extra:
        result.update(extra)
    return result


Tool = Callable[[Path, int, int | None], dict[str, Any]]


def worker_main(tools: dict[str, Tool], argv: list[str] | None = None) -> None:
    """``python -m bench.workloads.X TOOL DATA RUNS [--limit N]``: print the tool's measurement as one
    JSON line.  ``--limit`` measures the first N items only (for tools too slow for the whole set)."""
    parser = argparse.ArgumentParser()
    parser.add_argument("tool", choices=sorted(tools))
    parser.add_argument("data", type=Path)
    parser.add_argument("runs", type=int)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args(argv)
    result = tools[args.tool](args.data, args.runs, args.limit)
    result["tool"] = args.tool
    result["python"] = sys.version.split()[0]
    sys.stdout.write(json.dumps(result) + "\n")
