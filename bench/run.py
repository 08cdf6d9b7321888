#!/usr/bin/env python3
"""Benchmarks: mailwarden side by side with dkimpy, pyspf, authheaders and mailauth.

    bash bench/setup.sh                 # once: bench/.venv + bench/node_modules
    python bench/run.py --quick         # ~1-2 minutes
    python bench/run.py --json OUT      # full run (2,000 messages, 10,000 SPF queries)

Every tool runs in its own process (its own interpreter: the product's Python for
mailwarden, bench/.venv for the Python reference tools, node for mailauth) on the
same generated data with every DNS answer served from memory; each reports its
timed passes and its peak RSS.  The tools take turns in interleaved rounds (every
tool once per round); a ratio is the median of the ratios within each round, so a
machine that slows down for a while slows both sides of it.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.corpus.build import PROFILES, ensure  # noqa: E402
from bench.plan import CONTENDERS, NODE, PRODUCT, VENV, Contender  # noqa: E402
from bench.report import evaluate, merge_rounds, table  # noqa: E402

BENCH = ROOT / "bench"
VENV_PYTHON = BENCH / ".venv" / "bin" / "python"
NODE_RUNNER = BENCH / "mailauth_runner.js"
WORKER_TIMEOUT = 3600


def runtime_command(runtime: str) -> list[str] | None:
    """The interpreter for a runtime family, or None when its set-up is missing."""
    if runtime == PRODUCT:
        return [sys.executable]
    if runtime == VENV:
        return [str(VENV_PYTHON)] if VENV_PYTHON.exists() else None
    if (BENCH / "node_modules" / "mailauth").is_dir():
        return ["node"]
    return None


def run_contender(c: Contender, data: Path, runs: int, profile: str) -> dict[str, Any]:
    command = runtime_command(c.runtime)
    if command is None:
        return {"error": "not set up: run `bash bench/setup.sh`"}
    if c.runtime == NODE:
        argv = [*command, str(NODE_RUNNER), c.workload, str(data), str(runs)]
    else:
        argv = [*command, "-m", f"bench.workloads.{c.module or c.workload}", c.tool, str(data), str(runs)]
    limit = c.limit(profile)
    if limit is not None:
        argv += ["--limit", str(limit)]
    # this tree's src/ first: the bench measures the code next to it, not whatever is installed
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]), PYTHONHASHSEED="0")
    try:
        proc = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=WORKER_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    if proc.returncode != 0 or not proc.stdout.strip():
        tail = (proc.stderr.strip().splitlines() or ["no output"])[-1]
        return {"error": f"exit {proc.returncode}: {tail}"}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def measure_reports_memory(data: Path, profile: str) -> dict[str, Any]:
    """One pass of mailwarden over a 500,000-record report (100,000 with --quick) in its own
    process: wall time and peak RSS (VmHWM).  parsedmarc is not run on it (minutes, GBs)."""
    from bench.plan import REPORTS_MEMORY_RECORDS

    records = REPORTS_MEMORY_RECORDS if profile == "full" else 100_000
    print(f"  reports memory: mailwarden, one {records:,}-record report ...", end="", flush=True)
    t0 = time.time()
    memory_worker = Contender("reports-memory", "mailwarden-memory", PRODUCT, "", records, records, module="reports")
    outcome = run_contender(memory_worker, data, 1, profile)
    shown = outcome.get("error") or f"peak {outcome['rss_peak_kb'] / 1024:.1f} MB"
    print(f" {shown} ({time.time() - t0:.0f}s)", flush=True)
    return outcome


def versions() -> dict[str, Any]:
    info: dict[str, Any] = {"python": platform.python_version()}
    try:
        from importlib.metadata import version

        info["mailwarden"] = version("mailwarden")
        info["cryptography"] = version("cryptography")
    except Exception:  # version lookup is informative only
        pass
    git = subprocess.run(["git", "-C", str(ROOT), "describe", "--always", "--dirty"], capture_output=True, text=True)
    info["mailwarden_commit"] = git.stdout.strip() or None
    if VENV_PYTHON.exists():
        code = ("import json, importlib.metadata as m; print(json.dumps({p: m.version(p) for p in "
                "('dkimpy', 'pyspf', 'authheaders', 'PyNaCl', 'parsedmarc')}))")
        out = subprocess.run([str(VENV_PYTHON), "-c", code], capture_output=True, text=True)
        if out.returncode == 0:
            info.update(json.loads(out.stdout))
    package = BENCH / "node_modules" / "mailauth" / "package.json"
    if package.exists():
        info["mailauth"] = json.loads(package.read_text())["version"]
        node = subprocess.run(["node", "--version"], capture_output=True, text=True)
        info["node"] = node.stdout.strip()
    return info


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = None
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{mem_kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {"platform": platform.platform(), "cpu": cpu, "cores": os.cpu_count(), "memory": mem,
            "load_average": os.getloadavg() if hasattr(os, "getloadavg") else None}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="400 messages, 2,000 SPF queries, subsets of slow tools")
    parser.add_argument("--json", metavar="OUT", type=Path, help="write every figure and ratio to OUT")
    parser.add_argument("--rounds", type=int, default=3,
                        help="interleaved rounds, every tool once per round (default 3)")
    parser.add_argument("--runs", type=int, default=2, help="timed passes per tool and round (default 2)")
    parser.add_argument("--only", metavar="W[,W]",
                        help="workloads to run: dkim,spf,full,startup,reports,reports-samples,reports-memory")
    parser.add_argument("--data-root", type=Path, default=BENCH / "results" / "data", help="where data is generated")
    args = parser.parse_args(argv)
    if args.runs < 1 or args.rounds < 1:
        parser.error("--runs and --rounds must be at least 1")
    profile = PROFILES["quick" if args.quick else "full"]
    only = set(args.only.split(",")) if args.only else {"dkim", "spf", "full", "startup", "reports",
                                                         "reports-samples", "reports-memory"}

    started = time.time()
    print(f"mailwarden bench: profile {profile.name}, {args.rounds} rounds x {args.runs} timed runs per tool",
          flush=True)
    data = ensure(profile, args.data_root)
    print(f"data: {data} ({profile.messages} messages, {profile.queries} SPF queries)", flush=True)
    if only & {"reports", "reports-samples"}:
        from bench.workloads.reports import prepare

        prepare(data)
    rounds: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for number in range(1, args.rounds + 1):
        if args.rounds > 1:
            print(f" round {number}/{args.rounds}", flush=True)
        for c in CONTENDERS:
            if c.workload not in only:
                continue
            print(f"  {c.workload:5} {c.label} ...", end="", flush=True)
            t0 = time.time()
            outcome = run_contender(c, data, args.runs, profile.name)
            rounds.setdefault(c.workload, {}).setdefault(c.tool, []).append(outcome)
            shown = outcome.get("error") or f"{outcome['median']:,.0f} {outcome['unit']}"
            print(f" {shown} ({time.time() - t0:.0f}s)", flush=True)
    results = {workload: {tool: merge_rounds(outcomes) for tool, outcomes in tools.items()}
               for workload, tools in rounds.items()}
    startup = None
    if "startup" in only:
        from bench.workloads.startup import measure_startup

        print("  startup ...", flush=True)
        startup = measure_startup(data, max(args.runs * args.rounds, 10))
    memory = None
    if "reports-memory" in only:
        memory = measure_reports_memory(data, profile.name)
    verdicts = evaluate(results, startup, memory)
    print(table(results, startup, verdicts, memory), end="")
    report = {"profile": profile.name, "rounds": args.rounds, "runs": args.runs, "data": str(data), "machine": machine(),
              "versions": versions(), "elapsed_s": time.time() - started, "results": results,
              "startup": startup, "reports_memory": memory, **verdicts}
    latest = BENCH / "results" / f"latest-{profile.name}.json"
    latest.parent.mkdir(parents=True, exist_ok=True)
    latest.write_text(json.dumps(report, indent=2))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
