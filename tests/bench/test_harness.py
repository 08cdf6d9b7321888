"""Harness pieces that need no reference tool: the floor, mailwarden's side, the worker
protocol, the in-memory DNS for the reference tools, ratios and the table."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import pytest
from bench.harness import measure
from bench.plan import TARGETS
from bench.refdns import MemoryDNS
from bench.report import evaluate, merge_rounds, ratio, table

ROOT = Path(__file__).resolve().parents[2]


def test_floor_verifies_the_corpus_signatures(tiny_data: Path) -> None:
    from bench.workloads.dkim import run_floor

    result = run_floor(tiny_data, 1)
    assert result["agree"] == result["items"] == 16
    assert result["outcomes"]["fail"] >= 1 and result["outcomes"]["pass"] >= 1


def test_mailwarden_dkim_side_runs_and_agrees(tiny_data: Path) -> None:
    from bench.workloads.dkim import run_mailwarden

    result = run_mailwarden(tiny_data, 1)
    assert result["agree"] == result["items"], result["disagreements"]
    assert result["median"] > 0 and result["rss_peak_kb"] > 0


def test_mailwarden_spf_side_runs_and_agrees(tiny_data: Path) -> None:
    from bench.workloads.spf import run_mailwarden, run_mailwarden_cold

    for runner in (run_mailwarden, run_mailwarden_cold):
        result = runner(tiny_data, 1, 30)
        assert result["items"] == 30
        assert result["agree"] == 30, result["disagreements"]


def test_worker_protocol_prints_one_json_line(tiny_data: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "bench.workloads.dkim", "floor", str(tiny_data), "2",
                           "--limit", "5"], cwd=ROOT, env=dict(os.environ, PYTHONPATH=str(ROOT)),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["tool"] == "floor" and out["items"] == 5 and len(out["rates"]) == 2


def test_memory_dns_shapes(tiny_data: Path) -> None:
    dns = MemoryDNS.from_file(tiny_data / "dns.json")
    key = dns.dkimpy_dnsfunc(b"rsa0._domainkey.acme00.example")
    assert key is not None and key.startswith(b"v=DKIM1; k=rsa; p=MII")  # split strings joined
    assert dns.dkimpy_dnsfunc(b"nope._domainkey.acme00.example") is None
    assert dns.authheaders_dnsfunc("_dmarc.acme00.example").startswith("v=DMARC1")
    txt = dns.pyspf_lookup("ACME00.example.", "TXT")
    assert all(k == ("acme00.example", "TXT") and isinstance(v, tuple) and isinstance(v[0], bytes)
               for k, v in txt)
    assert dns.pyspf_lookup("acme00.example", "MX")[0][1] == (10, "mx1.acme00.example")
    assert dns.pyspf_lookup("missing.example", "A") == []


def test_measure_counts_agreement_and_takes_the_median() -> None:
    calls = []

    def one_pass() -> list[str]:
        calls.append(1)
        return ["pass", "fail", "pass"]

    result = measure(one_pass, 3, 5, ["pass", "pass", "pass"], "msg/s", 1)
    assert len(calls) == 6  # warm-up + 5
    assert result["agree"] == 2 and result["disagreements"] == [[1, "fail", "pass"]]
    assert sorted(result["rates"])[2] == result["median"]


def _fake(median: float) -> dict:
    return {"median": median, "rates": [median], "items": 10, "agree": 10, "unit": "msg/s",
            "rss_peak_kb": 2048, "disagreements": []}


def test_ratios_targets_and_table() -> None:
    results = {
        "dkim": {"mailwarden": _fake(4000), "dkimpy": _fake(400), "mailauth": _fake(1000), "floor": _fake(16000)},
        "spf": {"mailwarden-cold": _fake(1000), "mailwarden-warm": _fake(3000), "pyspf": _fake(200)},
        "full": {"mailwarden": _fake(90), "authheaders": {"error": "not set up: run `bash bench/setup.sh`"}},
    }
    assert ratio(results, "dkim", "mailwarden", "dkimpy") == pytest.approx(10)
    assert ratio(results, "full", "mailwarden", "authheaders") is None
    startup = {"python -c pass": {"median_s": 0.05, "rss_peak_kb": 9000, "exit_status": 0},
               "mailwarden --help": {"median_s": 0.4, "rss_peak_kb": None, "exit_status": 0}}
    verdicts = evaluate(results, startup)
    met = {t["name"]: t["met"] for t in verdicts["targets"]}
    assert met == {"DKIM verify vs dkimpy": True, "DKIM verify vs mailauth": True, "SPF cold vs pyspf": True,
                   "SPF warm vs pyspf": False, "Full check vs authheaders": None,
                   "Reports parse vs parsedmarc": None, "mailwarden --help wall time (s)": False}
    assert len(verdicts["targets"]) == len(TARGETS) + 1
    text = table(results, startup, verdicts)
    assert "MISSED" in text and "not set up" in text and "0.25x" in text  # fraction of the floor


def _round(median: float, agree: int = 10, rss: int = 2048) -> dict:
    return {"median": median, "rates": [median * 0.9, median * 1.1], "seconds": [1.0, 1.0], "runs": 2,
            "items": 10, "agree": agree, "unit": "msg/s", "rss_peak_kb": rss,
            "disagreements": [] if agree == 10 else [[0, "fail", "pass"]]}


def test_rounds_merge_every_pass_and_keep_the_worst_agreement() -> None:
    merged = merge_rounds([_round(100), _round(300, agree=9, rss=4096), _round(200)])
    assert merged["rounds"] == 3 and merged["runs"] == 6 and len(merged["rates"]) == 6
    assert merged["round_medians"] == [100, 300, 200]
    assert merged["median"] == pytest.approx(statistics.median([90, 110, 270, 330, 180, 220]))
    assert merged["rss_peak_kb"] == 4096
    assert merged["agree"] == 9 and merged["disagreements"] == [[0, "fail", "pass"]]
    assert merge_rounds([_round(100), {"error": "exit 1: boom"}]) == {"error": "exit 1: boom"}


def test_ratio_after_rounds_is_the_median_of_the_per_round_ratios() -> None:
    # the machine halves its speed in round 2: both sides slow down, the ratio does not move
    ours = merge_rounds([_round(1000), _round(500), _round(1000)])
    theirs = merge_rounds([_round(100), _round(50), _round(100)])
    slower = merge_rounds([_round(100), _round(100), _round(100)])
    results = {"dkim": {"mailwarden": ours, "dkimpy": theirs, "mailauth": slower}}
    assert ratio(results, "dkim", "mailwarden", "dkimpy") == pytest.approx(10)
    assert ratio(results, "dkim", "mailwarden", "mailauth") == pytest.approx(10)  # median of 10, 5, 10
    verdicts = evaluate(results, None)
    assert "10.00" in table(results, None, verdicts)
    # a single round falls back to the ratio of the medians
    single = {"dkim": {"mailwarden": _fake(300), "dkimpy": _fake(100)}}
    assert ratio(single, "dkim", "mailwarden", "dkimpy") == pytest.approx(3)


def test_generated_aggregate_report_and_mailwarden_reports_side(tiny_data: Path) -> None:
    """The generator's expected outcomes are its own (not mailwarden's); mailwarden must reproduce them."""
    from bench.corpus.reports import ensure_aggregate
    from bench.workloads.reports import run_mailwarden, run_mailwarden_memory

    report, expected = ensure_aggregate(tiny_data, 300)
    outcomes = json.loads(expected.read_text())
    assert len(outcomes) == 300 and report.read_bytes().count(b"<record>") == 300
    result = run_mailwarden(tiny_data, 1, 300)
    assert result["agree"] == result["items"] == 300, result["disagreements"]
    assert len(result["cpu_seconds"]) == 2
    memory = run_mailwarden_memory(tiny_data, 1, 300)
    assert memory["items"] == memory["agree"] == 300 and memory["rss_peak_kb"] > 0


def test_reports_memory_target_and_cpu_ratio() -> None:
    memory = {"items": 500_000, "agree": 500_000, "rss_peak_kb": 150 * 1024, "seconds": [10.0],
              "file_bytes": 400_000_000}
    results = {"reports": {"mailwarden": {**_round(40_000), "cpu_median": 40_000.0},
                           "parsedmarc": {**_round(4_000), "cpu_median": 5_000.0}}}
    verdicts = evaluate(results, None, memory)
    met = {t["name"]: t["met"] for t in verdicts["targets"]}
    assert met["Reports: peak RSS, 500,000 records"] is False
    assert met["Reports parse vs parsedmarc"] is True
    extras = {e["name"]: e["ratio"] for e in verdicts["extras"]}
    assert extras["Reports parse vs parsedmarc, CPU time"] == 8.0
    text = table(results, None, verdicts, memory)
    assert "50,000 records/s" in text and "150.000MB" in text and "all records as generated" in text
