"""DMARC report parsing: mailwarden.reports vs parsedmarc (offline), same files, one process each.

Workloads (``python -m bench.workloads.reports TOOL DATA RUNS [--limit N]``):

* ``reports`` — one generated aggregate report of N records (default 50,000;
  bench/corpus/reports.py), parsed from its file: records/s.  Every tool must
  give each record's ``"ip count dkim spf"``.
* ``reports-samples`` — every aggregate report file of the shared sample set
  (parsedmarc's ``samples/aggregate``: .xml, .gz, .zip, report e-mails, incl.
  the malformed ones): reports/s, outcome = each file's report_id.
* ``mailwarden-memory`` — one pass over a 500,000-record report, for the peak
  RSS (VmHWM) target; run once by run.py, not in the rounds.

parsedmarc runs with ``offline=True`` (no DNS, no downloads); its IP-info
cache is warm after the untimed warm-up pass, as mailwarden's tag cache is.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from bench.corpus.reports import ensure_aggregate
from bench.harness import measure, rss_kb, worker_main

DEFAULT_RECORDS = 50_000


def _cpu_timed(one_pass: Any, cpu: list[float]) -> Any:
    """``one_pass`` that also appends its CPU seconds to ``cpu`` (the VM is shared: CPU time is the
    steadier figure; the first entry is the untimed warm-up pass)."""
    def timed() -> Any:
        start = time.process_time()
        out = one_pass()
        cpu.append(time.process_time() - start)
        return out
    return timed
MEMORY_RECORDS = 500_000


def sample_files() -> list[Path]:
    """The shared sample set: parsedmarc's aggregate samples (read in place)."""
    root = Path(os.environ.get("MAILWARDEN_CORPORA", Path(__file__).resolve().parents[3] / "shared" / "corpora"))
    folder = root / "dmarc-reports" / "parsedmarc" / "samples" / "aggregate"
    files = sorted(p for p in folder.iterdir() if p.is_file())
    if not files:
        raise SystemExit(f"no sample reports in {folder} (set MAILWARDEN_CORPORA)")
    return files


def _expected_report_ids(files: list[Path]) -> list[str]:
    """What each sample file holds, as the outcome both tools must produce (mailwarden's reading,
    checked by tests/reports/test_corpus.py against the files)."""
    from mailwarden.reports import AggregateReport, iter_reports

    ids = []
    for path in files:
        items = [i for i in iter_reports(path) if isinstance(i, AggregateReport)]
        ids.append(items[0].report_metadata.report_id or "" if items else "error")
    return ids


# -- mailwarden --------------------------------------------------------------------------------------


def _mailwarden_records(path: Path) -> list[str]:
    from mailwarden.reports import AggregateReport, iter_reports

    out = []
    for item in iter_reports(path):
        if isinstance(item, AggregateReport):
            for r in item.iter_records():
                out.append(f"{r.source_ip} {r.count} {r.policy_evaluated.dkim} {r.policy_evaluated.spf}")
    return out


def run_mailwarden(data: Path, runs: int, limit: int | None = None) -> dict[str, Any]:
    report, expected_file = ensure_aggregate(data, limit or DEFAULT_RECORDS)
    expected = json.loads(expected_file.read_text())
    loaded = rss_kb()
    cpu: list[float] = []
    return measure(_cpu_timed(lambda: _mailwarden_records(report), cpu), len(expected), runs, expected,
                   "records/s", loaded, {"cpu_seconds": cpu})


def run_mailwarden_samples(data: Path, runs: int, limit: int | None = None) -> dict[str, Any]:
    from mailwarden.reports import AggregateReport, iter_reports

    files = sample_files()[:limit]
    loaded = rss_kb()

    def one_pass() -> list[str]:
        out = []
        for path in files:
            ids = []
            for item in iter_reports(path):
                if isinstance(item, AggregateReport):
                    sum(1 for _ in item.iter_records())
                    ids.append(item.report_metadata.report_id or "")
            out.append(ids[0] if ids else "error")
        return out

    cpu: list[float] = []
    return measure(_cpu_timed(one_pass, cpu), len(files), runs, _expected_report_ids(files), "reports/s", loaded,
                   {"cpu_seconds": cpu})


def run_mailwarden_memory(data: Path, runs: int, limit: int | None = None) -> dict[str, Any]:
    """One streamed pass over a 500,000-record report: time and peak RSS (VmHWM, read right
    after the pass).  Correctness without holding the records: a SHA-256 over every record's
    outcome line, compared afterwards with the generator's expected lines."""
    import hashlib

    from mailwarden.reports import iter_reports

    records = limit or MEMORY_RECORDS
    report, expected_file = ensure_aggregate(data, records)
    loaded = rss_kb()
    digest = hashlib.sha256()
    count = 0
    start = time.perf_counter()
    cpu = time.process_time()
    for item in iter_reports(report):
        for r in item.iter_records():  # type: ignore[union-attr]
            digest.update(f"{r.source_ip} {r.count} {r.policy_evaluated.dkim} {r.policy_evaluated.spf}\n".encode())
            count += 1
    seconds = time.perf_counter() - start
    cpu = time.process_time() - cpu
    peak = rss_kb()
    want = hashlib.sha256("".join(line + "\n" for line in json.loads(expected_file.read_text())).encode())
    return {"items": count, "unit": "records", "seconds": [seconds], "cpu_seconds": [cpu], "rss_peak_kb": peak,
            "rss_loaded_kb": loaded, "file_bytes": report.stat().st_size,
            "agree": count if digest.digest() == want.digest() else 0}


# -- parsedmarc --------------------------------------------------------------------------------------


def _parsedmarc(path: Path) -> dict[str, Any]:
    import parsedmarc

    return parsedmarc.parse_report_file(str(path), offline=True, always_use_local_files=True)


def run_parsedmarc(data: Path, runs: int, limit: int | None = None) -> dict[str, Any]:
    report, expected_file = ensure_aggregate(data, limit or DEFAULT_RECORDS)
    expected = json.loads(expected_file.read_text())
    loaded = rss_kb()

    def one_pass() -> list[str]:
        parsed = _parsedmarc(report)["report"]
        return [f"{r['source']['ip_address']} {r['count']} {r['policy_evaluated']['dkim']} "
                f"{r['policy_evaluated']['spf']}" for r in parsed["records"]]

    cpu: list[float] = []
    return measure(_cpu_timed(one_pass, cpu), len(expected), runs, expected, "records/s", loaded,
                   {"cpu_seconds": cpu})


def run_parsedmarc_samples(data: Path, runs: int, limit: int | None = None) -> dict[str, Any]:
    import parsedmarc

    files = sample_files()[:limit]
    loaded = rss_kb()
    expected = json.loads((data / "reports" / "samples.expected.json").read_text())[:len(files)]

    def one_pass() -> list[str]:
        out = []
        for path in files:
            try:
                parsed = _parsedmarc(path)
            except parsedmarc.ParserError:
                out.append("error")
                continue
            out.append(parsed["report"]["report_metadata"]["report_id"] or "")
        return out

    cpu: list[float] = []
    return measure(_cpu_timed(one_pass, cpu), len(files), runs, expected, "reports/s", loaded,
                   {"cpu_seconds": cpu})


def prepare(data: Path) -> None:
    """Generate the reports and the sample set's expected outcomes (product interpreter)."""
    ensure_aggregate(data, DEFAULT_RECORDS)
    folder = data / "reports"
    (folder / "samples.expected.json").write_text(json.dumps(_expected_report_ids(sample_files())))


TOOLS = {"mailwarden": run_mailwarden, "mailwarden-samples": run_mailwarden_samples,
         "mailwarden-memory": run_mailwarden_memory, "parsedmarc": run_parsedmarc,
         "parsedmarc-samples": run_parsedmarc_samples}

if __name__ == "__main__":
    worker_main(TOOLS)
