#!/usr/bin/env python3
"""Report store benchmark: ingest into SQLite against the parse rate, and the analysis over
1,000,000 stored records in PostgreSQL.

    python bench/reports_store.py            # 50,000-record report, 1,000,000 records in PostgreSQL
    python bench/reports_store.py --quick    # 20,000-record report, 200,000 records
    python bench/reports_store.py --pg postgresql://user@host/db   # use this (empty) database

1. **Ingest vs parse** (target: ingest >= 0.5 x the parse rate): one generated
   aggregate report (RFC 7489 appendix C, mixed records) is (a) parsed with every
   record read (``iter_reports`` + ``iter_records``, no store) and (b) ingested into
   a fresh SQLite store (``mailwarden reports ingest``'s code path), each in its own
   process, in interleaved rounds; the ratio is the median of the per-round ratios.
2. **Analysis over 1,000,000 records** (target: < 2 s each): a throwaway PostgreSQL
   cluster (tests/support/postgres.py; initdb + pg_ctl on a free loopback port) is
   filled through the store's writer (100 reports of 10,000 records over 100 days,
   2 domains, ~30,000 sources), analysed once, then ``mailwarden reports summary
   --offline --json`` and ``mailwarden reports sources --offline --json`` are timed as
   a user runs them (wall time of the whole command, start-up included).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DAY = 86400
T0 = 1709251200  # 2024-03-01


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


# -- data -------------------------------------------------------------------------------------------

LEGIT = [(f"209.85.{i // 200}.{i % 200 + 1}", "example.com", "pass") for i in range(150)] + [
    (f"167.89.{i // 200}.{i % 200 + 1}", "sendgrid.net", "pass") for i in range(100)] + [
    (f"40.107.{i // 200}.{i % 200 + 1}", "example.com", "fail") for i in range(50)]


SPOOF_POOL = 30_000


def source(i: int) -> tuple[str, str, str, bool]:
    """(ip, dkim domain, dkim result, aligned) of the i-th record: 80 % from 300 legitimate hosts,
    20 % from a pool of :data:`SPOOF_POOL` spoofing addresses (a botnet)."""
    if i % 5:
        ip, dkim_domain, result = LEGIT[(i * 7919) % len(LEGIT)]
        return ip, dkim_domain, result, dkim_domain == "example.com" and result == "pass"
    n = (i * 104729) % SPOOF_POOL
    return f"45.{n // 250 % 250}.{n % 250}.{n // 62500 + 1}", "spoof.example", "fail", False


def report_xml(report_id: str, records: int, begin: int = T0, domain: str = "example.com") -> bytes:
    parts = [f'<?xml version="1.0" encoding="UTF-8"?>\n<feedback><version>1.0</version><report_metadata>'
             f"<org_name>google.com</org_name><email>noreply-dmarc-support@google.com</email>"
             f"<report_id>{report_id}</report_id><date_range><begin>{begin}</begin><end>{begin + DAY - 1}</end>"
             f"</date_range></report_metadata><policy_published><domain>{domain}</domain><adkim>r</adkim>"
             f"<aspf>r</aspf><p>none</p><sp>none</sp><pct>100</pct></policy_published>\n"]
    for i in range(records):
        ip, dkim_domain, result, aligned = source(i)
        reason = "<reason><type>mailing_list</type></reason>" if i % 97 == 0 and not aligned else ""
        parts.append(
            f"<record><row><source_ip>{ip}</source_ip><count>{1 + i % 9}</count><policy_evaluated>"
            f"<disposition>none</disposition><dkim>{'pass' if aligned else 'fail'}</dkim><spf>fail</spf>{reason}"
            f"</policy_evaluated></row><identifiers><header_from>{domain}</header_from>"
            f"<envelope_from>bounce.{dkim_domain}</envelope_from></identifiers><auth_results><dkim>"
            f"<domain>{dkim_domain}</domain><selector>s{i % 3}</selector><result>{result}</result></dkim>"
            f"<spf><domain>bounce.{dkim_domain}</domain><scope>mfrom</scope><result>pass</result></spf>"
            f"</auth_results></record>\n")
    parts.append("</feedback>\n")
    return "".join(parts).encode()


def records_as_json(records: int, offset: int = 0) -> Any:
    """The same records in the SPEC section 12 shape (the store's dict input), generated lazily."""
    for i in range(offset, offset + records):
        ip, dkim_domain, result, aligned = source(i)
        yield {
            "source_ip": ip, "count": 1 + i % 9,
            "policy_evaluated": {"disposition": "none", "dkim": "pass" if aligned else "fail", "spf": "fail",
                                 "reasons": [{"type": "mailing_list", "comment": None}]
                                 if i % 97 == 0 and not aligned else []},
            "identifiers": {"header_from": "example.com", "envelope_from": f"bounce.{dkim_domain}",
                            "envelope_to": None},
            "auth_results": {"dkim": [{"domain": dkim_domain, "selector": f"s{i % 3}", "result": result,
                                       "human_result": None}],
                             "spf": [{"domain": f"bounce.{dkim_domain}", "scope": "mfrom", "result": "pass",
                                      "human_result": None}]},
        }


# -- workers (one process each) ----------------------------------------------------------------------

def worker(kind: str, path: str, db: str | None) -> dict[str, Any]:
    from mailwarden.reports import AggregateReport, iter_reports

    start = time.perf_counter()
    records = 0
    if kind == "parse":
        for item in iter_reports(path):
            if isinstance(item, AggregateReport):
                for _ in item.iter_records():
                    records += 1
    else:
        from mailwarden.reports.ingest import Ingestor
        from mailwarden.reports.store import Store

        store = Store.open(db)
        start = time.perf_counter()  # the schema migration is not part of the rate
        ingestor = Ingestor(store)
        ingestor.add_path(path)
        assert ingestor.added == 1, ingestor.result()
        with store.engine.connect() as conn:
            records = conn.exec_driver_sql("SELECT count(*) FROM agg_records").scalar()
        store.close()
    seconds = time.perf_counter() - start
    return {"seconds": seconds, "records": records, "rate": records / seconds, "peak_rss_mb": peak_rss_mb()}


def run_worker(kind: str, path: Path, db: Path | None = None) -> dict[str, Any]:
    argv = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, str(path)]
    if db is not None:
        argv += ["--db", str(db)]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT / "src"), str(ROOT)]))
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=3600, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{kind} worker failed: {proc.stderr.strip()[-500:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# -- PostgreSQL --------------------------------------------------------------------------------------

def fill_postgres(url: str, total: int, per_report: int) -> dict[str, Any]:
    from mailwarden.reports.store import Store

    store = Store.open(url)
    start = time.perf_counter()
    reports = total // per_report
    for n in range(reports):
        domain = "example.com" if n % 4 else "example.org"
        header = {"report_metadata": {"org_name": ("google.com", "yahoo.com", "outlook.com")[n % 3],
                                      "email": "dmarc@reporter.example", "report_id": f"bench-{n}",
                                      "date_range": {"begin": T0 + n * DAY, "end": T0 + (n + 1) * DAY - 1}},
                  "policy_published": {"domain": domain, "p": "none", "pct": 100}}
        records = ({**r, "identifiers": {**r["identifiers"], "header_from": domain}}
                   for r in records_as_json(per_report, n * per_report))
        store.writer.add_aggregate(header, records, source=f"bench-{n}.xml")
    seconds = time.perf_counter() - start
    with store.engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
        stored = conn.exec_driver_sql("SELECT count(*) FROM agg_records").scalar()
        partitions = conn.exec_driver_sql(
            "SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
            "WHERE p.relname = 'agg_records'").scalar()
    store.close()
    return {"records": stored, "reports": reports, "seconds": seconds, "rate": stored / seconds,
            "partitions": partitions}


def time_command(args: list[str], runs: int) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    import resource

    times, cpu = [], []
    output = ""
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "mailwarden", "reports", *args], capture_output=True,
                              text=True, env=env, timeout=600, check=False)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
        if proc.returncode != 0:
            raise SystemExit(f"mailwarden reports {args[0]} failed: {proc.stderr.strip()}")
        output = proc.stdout
    return {"median": statistics.median(times), "min": min(times), "max": max(times),
            "client_cpu": statistics.median(cpu), "output": json.loads(output)}


# -- main --------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller data (20,000-record report, 200,000 in PG)")
    parser.add_argument("--records", type=int, help="records in the ingest-vs-parse report")
    parser.add_argument("--pg-records", type=int, help="records stored in PostgreSQL")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--pg", metavar="URL", help="an empty PostgreSQL database instead of a throwaway cluster")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--json", metavar="OUT", help="write the results here too")
    parser.add_argument("--worker", nargs=2, metavar=("KIND", "FILE"), help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1], args.db)))
        return

    records = args.records or (20_000 if args.quick else 50_000)
    pg_records = args.pg_records or (200_000 if args.quick else 1_000_000)
    results: dict[str, Any] = {"records": records, "pg_records": pg_records}
    work = Path(tempfile.mkdtemp(prefix="mw-bench-reports-"))
    report = work / f"google.com!example.com!{T0}!{T0 + DAY - 1}.xml"
    report.write_bytes(report_xml("bench-ingest", records))
    print(f"Ingest vs parse: one {records:,}-record aggregate report ({report.stat().st_size / 1e6:.1f} MB of XML), "
          f"{args.rounds} interleaved rounds, one process per run")
    rounds = []
    for n in range(args.rounds):
        parse = run_worker("parse", report)
        db = work / f"ingest-{n}.db"
        ingest = run_worker("ingest", report, db)
        assert parse["records"] == ingest["records"] == records
        rounds.append({"parse": parse, "ingest": ingest, "ratio": ingest["rate"] / parse["rate"]})
        print(f"  round {n + 1}: parse {parse['rate']:>9,.0f} records/s ({parse['peak_rss_mb']:.0f} MB)   "
              f"ingest into SQLite {ingest['rate']:>9,.0f} records/s ({ingest['peak_rss_mb']:.0f} MB)   "
              f"ratio {ingest['rate'] / parse['rate']:.2f}")
    ratio = statistics.median(r["ratio"] for r in rounds)
    results["ingest_vs_parse"] = {"rounds": rounds, "ratio": ratio}

    summary_s = sources_s = None
    if not args.skip_pg:
        server = None
        url = args.pg
        if url is None:
            from tests.support.postgres import PostgresServer

            server = PostgresServer()
            url = server.create_database("bench")
        try:
            print(f"\nPostgreSQL: storing {pg_records:,} records through the store's writer ...", flush=True)
            fill = fill_postgres(url, pg_records, min(10_000, pg_records))
            print(f"  {fill['records']:,} records in {fill['reports']} reports, {fill['partitions']} monthly "
                  f"partitions, {fill['seconds']:.1f} s ({fill['rate']:,.0f} records/s)")
            summary = time_command(["summary", "--db", url, "--offline", "--json"], args.rounds)
            sources = time_command(["sources", "--db", url, "--offline", "--json", "--limit", "100"], args.rounds)
            summary_s, sources_s = summary["median"], sources["median"]
            domains = summary["output"]["domains"]
            print(f"  reports summary --offline --json: {summary_s:.2f} s wall (min {summary['min']:.2f}, "
                  f"max {summary['max']:.2f}; client CPU {summary['client_cpu']:.2f} s); "
                  f"{sum(d['messages'] for d in domains):,} messages, "
                  f"{sum(d['buckets'][b]['sources'] for d in domains for b in d['buckets']):,} sources")
            print(f"  reports sources --offline --json: {sources_s:.2f} s wall (min {sources['min']:.2f}, "
                  f"max {sources['max']:.2f}; client CPU {sources['client_cpu']:.2f} s); "
                  f"{sources['output']['total']:,} sources")
            results["postgres"] = {"fill": fill, "summary": {k: v for k, v in summary.items() if k != "output"},
                                   "sources": {k: v for k, v in sources.items() if k != "output"}}
        finally:
            if server is not None:
                server.stop()

    print("\nTargets")
    print(f"  ingest into SQLite / parse rate            {ratio:5.2f}x  (>= 0.5x)  {'met' if ratio >= 0.5 else 'MISSED'}")
    if summary_s is not None and sources_s is not None:
        print(f"  summary over {pg_records:,} records (PG)      {summary_s:5.2f}s  (< 2s)    "
              f"{'met' if summary_s < 2 else 'MISSED'}")
        print(f"  sources over {pg_records:,} records (PG)      {sources_s:5.2f}s  (< 2s)    "
              f"{'met' if sources_s < 2 else 'MISSED'}")
    out = Path(args.json) if args.json else ROOT / "bench" / "results" / "latest-reports-store.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2, default=str))
    import shutil

    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
