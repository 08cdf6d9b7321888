"""The reports dashboard over a large store: does ``/reports`` answer in under 2 s?

    python bench/dashboard.py                     # 1,000,000 records in SQLite (generated once, ~2-4 min)
    python bench/dashboard.py --db postgresql://USER@127.0.0.1:PORT/DB
    python bench/dashboard.py --records 100000 --runs 3

The store is filled through the reports store's own writer (``Store.writer.add_aggregate``)
with deterministic aggregate reports: 30 domains (one with 70 % of the mail), 120 days,
30,000 source addresses with a skewed volume, and the four kinds of source (aligned,
a known service not aligned, forwarded, spoofing).  It is cached under
``bench/results/data/`` and reused.

``mailwarden web --db ... --no-reverse-dns`` then runs as its own process on a free
loopback port (a fresh one for each of ``--runs`` rounds), and each dashboard page
is fetched once as a visitor would meet it, then once more; the figures are median
wall times of the whole HTTP request.  No tool
offers this page to compare with (parsedmarc needs Elasticsearch and Kibana for a
dashboard), so the command-line ``mailwarden reports summary --json`` and
``reports sources --json`` on the same store are timed beside it as the reference
point: the page does the same analysis plus the sender table and the charts.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
TARGET_SECONDS = 2.0
DAY = 86400
T0 = 1767225600  # 2026-01-01
DOMAINS = 30
DAYS = 120
ADDRESSES = 30_000
RECORDS_PER_REPORT = 1000
REPORTERS = ("google.com", "Yahoo", "Microsoft Corporation", "comcast.net", "mail.ru", "Mimecast", "web.de")


def domain_name(i: int) -> str:
    return f"bench-{i}.example"


def _address(rng: random.Random) -> str:
    n = min(int(rng.paretovariate(1.2)) - 1, ADDRESSES - 1)
    return f"{10 + n // 65536}.{(n // 256) % 256}.{n % 256}.{1 + n % 250}"


def _record(rng: random.Random, domain: str) -> dict[str, Any]:
    ip = _address(rng)
    kind = rng.random()
    reasons: list[dict[str, Any]] = []
    if kind < 0.60:  # the domain's own, aligned mail
        dkim, spf, dkim_auth, spf_auth = "pass", "pass", [(domain, "pass")], [(domain, "pass")]
    elif kind < 0.70:  # a known sending service, signing with its own domain
        dkim, spf, dkim_auth, spf_auth = "fail", "fail", [("sendgrid.net", "pass")], [("sendgrid.net", "pass")]
    elif kind < 0.75:  # forwarded
        dkim, spf, dkim_auth, spf_auth = "fail", "fail", [(domain, "fail")], [("lists.example.org", "pass")]
        reasons = [{"type": "forwarded", "comment": None}]
    else:  # spoofing
        dkim, spf, dkim_auth, spf_auth = "fail", "fail", [], [(f"spam{rng.randrange(500)}.example", "softfail")]
    return {
        "source_ip": ip,
        "count": 1 + int(rng.expovariate(0.3)),
        "policy_evaluated": {"disposition": "none", "dkim": dkim, "spf": spf, "reasons": reasons},
        "identifiers": {"header_from": domain, "envelope_from": None, "envelope_to": None},
        "auth_results": {
            "dkim": [{"domain": d, "selector": "s1", "result": r, "human_result": None} for d, r in dkim_auth],
            "spf": [{"domain": d, "scope": "mfrom", "result": r, "human_result": None} for d, r in spf_auth],
        },
    }


def reports(total: int, seed: int = 7) -> Iterator[tuple[dict[str, Any], Iterator[dict[str, Any]]]]:
    """(header, records) of deterministic aggregate reports holding ``total`` records."""
    rng = random.Random(seed)
    made = 0
    n = 0
    while made < total:
        count = min(RECORDS_PER_REPORT, total - made)
        domain = domain_name(0 if rng.random() < 0.7 else 1 + rng.randrange(DOMAINS - 1))
        org = REPORTERS[n % len(REPORTERS)]
        begin = T0 + rng.randrange(DAYS) * DAY
        header = {
            "kind": "aggregate",
            "report_metadata": {"org_name": org, "email": f"dmarc@{org.split()[0].lower()}", "extra_contact_info": None,
                                "report_id": f"bench-{n}", "date_range": {"begin": begin, "end": begin + DAY - 1},
                                "errors": [], "generator": None},
            "policy_published": {"domain": domain, "p": "none", "sp": None, "np": None, "adkim": "r", "aspf": "r",
                                 "pct": 100, "fo": None, "testing": None, "discovery_method": None},
            "warnings": [],
        }
        records = [_record(rng, domain) for _ in range(count)]
        yield header, iter(records)
        made += count
        n += 1


def fill(url: str, total: int) -> float:
    """Fill the store at ``url`` with ``total`` records unless it holds them already; seconds spent."""
    from sqlalchemy import func, select

    from mailwarden.reports.store import Store
    from mailwarden.reports.store.schema import agg_records

    with Store.open(url) as store:
        with store.engine.connect() as conn:
            have = conn.execute(select(func.count()).select_from(agg_records)).scalar() or 0
        if have >= total:
            return 0.0
        if have:
            raise SystemExit(f"{url} holds {have} records, not {total}: use an empty store")
        started = time.perf_counter()
        for i, (header, records) in enumerate(reports(total)):
            store.writer.add_aggregate(header, records, source=f"bench-{i}.xml")
            if i % 100 == 0:
                print(f"  filled {i * RECORDS_PER_REPORT:,} records", file=sys.stderr, flush=True)
        return time.perf_counter() - started


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str, must_show: bytes = b"") -> tuple[float, int, int]:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        body = response.read()
        status = response.status
    wall = time.perf_counter() - start
    if must_show and must_show not in body:
        raise SystemExit(f"{url} did not show the sender inventory")
    return wall, status, len(body)


def start_server(url: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """``mailwarden web`` on a free loopback port, once it answers; imports warmed by one page."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "mailwarden", "web", "--port", str(port), "--db", url,
                               "--no-reverse-dns"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            fetch(base + "/")
            return server, base
        except OSError:
            if server.poll() is not None or time.monotonic() > deadline:
                stop(server)
                raise SystemExit("mailwarden web did not start: "
                                 + (server.stderr.read().decode()[:500] if server.stderr else "")) from None
            time.sleep(0.1)


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(10)
    except subprocess.TimeoutExpired:
        server.kill()


def time_pages(url: str, paths: list[str], rounds: int, env: dict[str, str]) -> list[dict[str, Any]]:
    """Per round: a fresh server, every page once in order ("first": the analysis runs, unless an
    earlier page of the same domain and window already ran it), then every page again ("again")."""
    first: dict[str, list[float]] = {p: [] for p in paths}
    again: dict[str, list[float]] = {p: [] for p in paths}
    sizes: dict[str, int] = {}
    for _ in range(rounds):
        server, base = start_server(url, env)
        try:
            for p in paths:
                wall, _, sizes[p] = fetch(base + p, b'id="inventory"')
                first[p].append(wall)
            for p in paths:
                again[p].append(fetch(base + p, b'id="inventory"')[0])
        finally:
            stop(server)
    return [{"path": p, "first_s": statistics.median(first[p]), "first_max_s": max(first[p]),
             "again_s": statistics.median(again[p]), "bytes": sizes[p]} for p in paths]


def time_cli(args: list[str], runs: int, env: dict[str, str]) -> dict[str, Any]:
    walls = []
    for i in range(runs + 1):
        start = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "mailwarden", *args], env=env, capture_output=True)
        if done.returncode != 0:
            raise SystemExit(f"mailwarden {' '.join(args)} failed: {done.stderr.decode()[:300]}")
        if i:
            walls.append(time.perf_counter() - start)
    return {"args": args, "median_s": statistics.median(walls), "max_s": max(walls)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--db", help="store URL (default: a cached SQLite file under bench/results/data)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    env = {**os.environ, "PYTHONPATH": str(REPO / "src") + os.pathsep + os.environ.get("PYTHONPATH", "")}
    sys.path.insert(0, str(REPO / "src"))
    data = BENCH / "results" / "data"
    data.mkdir(parents=True, exist_ok=True)
    url = args.db or str(data / f"dashboard-{args.records}.db")
    print(f"store: {url if args.db else Path(url).relative_to(REPO)} ({args.records:,} records)", flush=True)
    filled = fill(url, args.records)
    if filled:
        print(f"filled in {filled:.0f} s ({args.records / filled:,.0f} records/s)", flush=True)

    big, small = domain_name(0), domain_name(1)
    paths = ["/reports", "/reports?bucket=unauthorized", "/reports?sort=ip&dir=asc&page=20",
             "/reports?q=sendgrid", "/reports?since=2026-03-01&until=2026-03-31", f"/reports?domain={small}"]
    pages = time_pages(url, paths, args.runs, env)
    cli = [time_cli(["reports", "summary", "--db", url, "--domain", big, "--json", "--offline"], args.runs, env),
           time_cli(["reports", "sources", "--db", url, "--domain", big, "--json", "--offline"], args.runs, env)]

    print(f"\nDashboard over {args.records:,} stored records [wall s per HTTP request, median of {args.runs} "
          f"fresh servers; target < {TARGET_SECONDS:.0f} s]")
    print("  first: the page as a visitor meets it (its analysis runs, unless a page of the same domain and")
    print("         window ran it before); again: the same page once more (sorting, filtering, paging reuse it)")
    print(f"  {'page':<46} {'first':>7} {'max':>7} {'again':>7} {'KiB':>5}  verdict")
    for p in pages:
        verdict = "met" if p["first_s"] < TARGET_SECONDS else "MISSED"
        print(f"  {p['path']:<46} {p['first_s']:>7.3f} {p['first_max_s']:>7.3f} {p['again_s']:>7.3f} "
              f"{p['bytes'] / 1024:>5.0f}  {verdict}")
    print("reference point, same store and domain (a new process each, so start-up included):")
    for c in cli:
        label = "mailwarden " + " ".join(a for a in c["args"] if not a.startswith("/") and "://" not in a)
        print(f"  {label[:50]:<50} {c['median_s']:>8.3f} {c['max_s']:>8.3f}")
    ratio = pages[0]["first_s"] / cli[0]["median_s"]
    print(f"  /reports vs `reports summary`: {ratio:.2f}x the time")
    if args.json:
        args.json.write_text(json.dumps({"records": args.records, "store": url, "pages": pages, "cli": cli}, indent=2))
    return 0 if all(p["first_s"] < TARGET_SECONDS for p in pages) else 1


if __name__ == "__main__":
    sys.exit(main())
