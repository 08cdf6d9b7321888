"""Ratios, target verdicts and the plain-text table of a bench run."""

from __future__ import annotations

import statistics
from typing import Any

from bench.plan import (
    CONTENDERS,
    CPU_RATIOS,
    EXTRA_RATIOS,
    HELP_MAX_SECONDS,
    REPORTS_MEMORY_MAX_MB,
    TARGETS,
    WORKLOAD_TITLES,
)


def _rate(results: dict[str, Any], workload: str, tool: str) -> float | None:
    entry = results.get(workload, {}).get(tool)
    if not entry or "median" not in entry:
        return None
    return float(entry["median"])


def ratio(results: dict[str, Any], workload: str, numerator: str, denominator: str) -> float | None:
    """``numerator``'s rate over ``denominator``'s.  After interleaved rounds it is the median of the
    ratios within each round, so a machine that slows down for a while slows both sides of a ratio."""
    top, bottom = _rate(results, workload, numerator), _rate(results, workload, denominator)
    if top is None or not bottom:
        return None
    a = results[workload][numerator].get("round_medians") or []
    b = results[workload][denominator].get("round_medians") or []
    if len(a) == len(b) > 1 and all(b):
        return statistics.median(x / y for x, y in zip(a, b, strict=True))
    return top / bottom


def merge_rounds(outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    """One tool's measurements from several rounds as one entry: every pass rate, their
    median, the median of each round (``round_medians``), the highest peak RSS and the
    worst agreement.  A round that failed makes the whole entry that error."""
    failed = [o for o in outcomes if "error" in o]
    if failed:
        return failed[0]
    worst = min(outcomes, key=lambda o: o["agree"])
    merged = dict(outcomes[0])
    merged.update(
        rates=[rate for o in outcomes for rate in o["rates"]],
        seconds=[s for o in outcomes for s in o["seconds"]],
        runs=sum(o["runs"] for o in outcomes),
        rounds=len(outcomes),
        round_medians=[o["median"] for o in outcomes],
        rss_peak_kb=max(o["rss_peak_kb"] for o in outcomes),
        agree=worst["agree"],
        disagreements=worst["disagreements"],
    )
    merged["median"] = statistics.median(merged["rates"])
    if all("cpu_seconds" in o for o in outcomes):  # workers that also report CPU time (first = warm-up)
        cpu = [c for o in outcomes for c in o["cpu_seconds"][1:]]
        merged["cpu_seconds"] = cpu
        merged["cpu_median"] = statistics.median(merged["items"] / c for c in cpu) if cpu else None
    return merged


def evaluate(results: dict[str, Any], startup: dict[str, Any] | None,
             memory: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every ratio and target verdict (``met`` is None when a figure is missing)."""
    targets = []
    for t in TARGETS:
        value = ratio(results, t.workload, t.numerator, t.denominator)
        targets.append({"name": t.name, "ratio": value, "minimum": t.minimum,
                        "met": None if value is None else value >= t.minimum})
    extras = [{"name": name, "ratio": ratio(results, w, a, b)} for name, w, a, b in EXTRA_RATIOS]
    if startup:
        help_s = startup.get("mailwarden --help", {}).get("median_s")
        base = startup.get("python -c pass", {}).get("median_s")
        targets.append({"name": "mailwarden --help wall time (s)", "value": help_s, "maximum": HELP_MAX_SECONDS,
                        "met": None if help_s is None else help_s < HELP_MAX_SECONDS})
        for label, entry in startup.items():
            if label != "python -c pass" and base:
                extras.append({"name": f"{label} / python -c pass (wall)", "ratio": entry["median_s"] / base})
    for name, workload, top, bottom in CPU_RATIOS:
        a = results.get(workload, {}).get(top, {}).get("cpu_median")
        b = results.get(workload, {}).get(bottom, {}).get("cpu_median")
        extras.append({"name": name, "ratio": a / b if a and b else None})
    if memory is not None:
        peak = None if "error" in memory else memory["rss_peak_kb"] / 1024
        targets.append({"name": f"Reports: peak RSS, {memory.get('items', 0):,} records", "value": peak,
                        "maximum": REPORTS_MEMORY_MAX_MB, "unit": "MB",
                        "met": None if peak is None else peak < REPORTS_MEMORY_MAX_MB})
    return {"targets": targets, "extras": extras}


def _fmt_rate(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def table(results: dict[str, Any], startup: dict[str, Any] | None, verdicts: dict[str, Any],
          memory: dict[str, Any] | None = None) -> str:
    """The human table: one block per workload, then start-up, then targets and ratios."""
    lines: list[str] = []
    for workload, title in WORKLOAD_TITLES.items():
        rows = results.get(workload)
        if not rows:
            continue
        unit = next((r["unit"] for r in rows.values() if "unit" in r), "")
        base = "mailwarden" if _rate(results, workload, "mailwarden") else "mailwarden-warm"
        if not _rate(results, workload, base):
            base = next((t for t in rows if t.startswith("mailwarden") and _rate(results, workload, t)), base)
        rounds = max((r.get("rounds", 1) for r in rows.values()), default=1)
        how = f"median of all runs of {rounds} interleaved rounds" if rounds > 1 else "median of runs"
        lines += ["", f"{title} [{unit}, {how}, one process per tool]",
                  f"  {'tool':34} {'median':>10} {'min..max':>19} {'items':>6} {'agree':>11} {'peak RSS':>9}"
                  f" {'mailwarden x':>12}"]
        for c in (c for c in CONTENDERS if c.workload == workload):
            r = rows.get(c.tool)
            if r is None:
                continue
            if "error" in r:
                lines.append(f"  {c.label:34} {'-':>10}  {r['error'][:70]}")
                continue
            spread = f"{_fmt_rate(min(r['rates']))}..{_fmt_rate(max(r['rates']))}"
            agree = f"{r['agree']}/{r['items']}"
            x = None if c.tool.startswith("mailwarden") else ratio(results, workload, base, c.tool)
            times = "" if x is None else f"{x:.2f}"
            lines.append(f"  {c.label:34} {_fmt_rate(r['median']):>10} {spread:>19} {r['items']:>6} {agree:>11}"
                         f" {r['rss_peak_kb'] / 1024:>7.1f}MB {times:>12}")
            if r["agree"] != r["items"]:
                lines.append(f"    ! outcomes differ from the expected ones, e.g. {r['disagreements'][:3]}")
    if startup:
        lines += ["", "CLI start-up [wall seconds, median]", f"  {'command':44} {'median':>8} {'peak RSS':>9} {'exit':>5}"]
        for label, entry in startup.items():
            rss = "-" if entry["rss_peak_kb"] is None else f"{entry['rss_peak_kb'] / 1024:.1f}MB"
            lines.append(f"  {label[:44]:44} {entry['median_s']:>8.3f} {rss:>9} {entry['exit_status']:>5}")
    if memory is not None and "error" not in memory:
        seconds = memory["seconds"][-1]
        check = "all records as generated" if memory.get("agree") == memory["items"] else "OUTCOMES DIFFER"
        lines += ["", "DMARC aggregate report, one big file [one streamed pass, own process]",
                  f"  {memory['items']:,} records ({memory['file_bytes'] / 1e6:,.0f} MB of XML): "
                  f"{memory['items'] / seconds:,.0f} records/s ({seconds:.1f}s), "
                  f"peak RSS {memory['rss_peak_kb'] / 1024:.1f} MB; {check}"]
    lines += ["", "Targets"]
    for t in verdicts["targets"]:
        mark = {True: "met", False: "MISSED", None: "n/a"}[t["met"]]
        if "ratio" in t:
            shown = "-" if t["ratio"] is None else f"{t['ratio']:.2f}x"
            lines.append(f"  {t['name']:48} {shown:>9}  (>= {t['minimum']:g}x)  {mark}")
        else:
            unit = t.get("unit", "s")
            shown = "-" if t["value"] is None else f"{t['value']:.3f}{unit}"
            lines.append(f"  {t['name']:48} {shown:>9}  (< {t['maximum']:g}{unit})  {mark}")
    lines += ["", "Other ratios"]
    for e in verdicts["extras"]:
        shown = "-" if e["ratio"] is None else f"{e['ratio']:.2f}x"
        lines.append(f"  {e['name']:60} {shown:>9}")
    return "\n".join(lines) + "\n"
