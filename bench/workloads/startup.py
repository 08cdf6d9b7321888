"""CLI start-up: wall time of ``mailwarden --help`` and of one ``mailwarden spf``
invocation (snapshot DNS) against ``python -c pass`` on the same interpreter.

Each command runs ``runs`` times (after one warm-up for the page cache) as a
child process; the figure is the median wall time.  Peak RSS comes from one
more run under GNU ``/usr/bin/time -f %M`` (a small parent: Linux carries
``ru_maxrss`` across fork+exec, so a child of this process would report at least
this process's own peak); without it the RSS is not reported.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def mailwarden_command() -> list[str]:
    """The console script installed next to this interpreter, else ``python -m mailwarden``."""
    script = Path(sys.executable).parent / "mailwarden"
    return [str(script)] if script.exists() else [sys.executable, "-m", "mailwarden"]


def time_command(argv: list[str], runs: int) -> dict[str, Any]:
    """Median wall time and peak RSS of ``argv`` over ``runs`` runs (after one warm-up)."""
    walls = []
    status = None
    for i in range(runs + 1):
        start = time.perf_counter()
        status = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
        if i:
            walls.append(time.perf_counter() - start)
    return {"argv": argv, "runs": runs, "seconds": walls, "median_s": statistics.median(walls),
            "rss_peak_kb": peak_rss_kb(argv), "exit_status": status}


def peak_rss_kb(argv: list[str]) -> int | None:
    """Peak RSS of one run of ``argv`` measured by GNU time, or None when it is not installed."""
    gnu_time = Path("/usr/bin/time")
    if not gnu_time.exists():
        return None
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as out:
        subprocess.run([str(gnu_time), "-f", "%M", "-o", out.name, *argv],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            return int(Path(out.name).read_text().split()[-1])
        except (ValueError, IndexError):
            return None


def spf_argv(data: Path) -> list[str]:
    import json

    query = json.loads((data / "spf_queries.json").read_text())[0]
    return [*mailwarden_command(), "spf", "--ip", query["ip"], "--mail-from", query["mail_from"],
            "--helo", query["helo"], "--dns", str(data / "dns.json"), "--json"]


def measure_startup(data: Path, runs: int) -> dict[str, dict[str, Any]]:
    """Every start-up figure, keyed by label."""
    out = {
        "python -c pass": time_command([sys.executable, "-c", "pass"], runs),
        "mailwarden --help": time_command([*mailwarden_command(), "--help"], runs),
        "mailwarden spf": time_command(spf_argv(data), runs),
    }
    on_path = shutil.which("mailwarden")
    if on_path and Path(on_path).resolve() != Path(mailwarden_command()[0]).resolve():
        out["mailwarden --help (PATH: " + on_path + ")"] = time_command([on_path, "--help"], runs)
    return out
