#!/usr/bin/env python3
"""Filter workload: the same message mix through a real Postfix with mailwarden filter, with
OpenDKIM + OpenDMARC, and with no milter, in one run (interleaved rounds).

    python bench/mta.py --quick            # 3 x 300 messages per set-up (about a minute)
    python bench/mta.py --messages 2000    # the full run
    python bench/mta.py --json OUT
    python bench/mta.py --libraries        # no-op pymilter vs no-op purepythonmilter (the library choice)

Debugging: ``--keep`` keeps every log; ``MW_BENCH_FILTER_LOG=info`` logs one line per message in the
filter; ``MW_BENCH_SLOWEST=1`` prints the five slowest messages of each batch.

Needs root, postfix, nsd, libmilter-dev + pymilter, opendkim and opendmarc (scripts/test.sh installs them).
Everything listens on loopback only:

* one NSD serves every zone on 127.0.0.153:53 (OpenDMARC reads only /etc/resolv.conf, so it runs in
  a private mount namespace where resolv.conf names that server; OpenDKIM uses its ``Nameservers``
  option; mailwarden ``--nameserver``);
* three Postfix instances, identical except ``smtpd_milters``; every message to home.test is
  discarded after queueing (``virtual_transport = discard``) so delivery I/O does not dominate;
* a client with ``--concurrency`` SMTP sessions sends each message from the loopback address
  its sender's SPF names (forgers from 127.0.0.66), reusing connections like a peer MTA.

Per message the client measures MAIL FROM -> final DATA reply. The latency a milter *adds* is
its percentile minus the same percentile without a milter in the same round; the throughput is
messages / wall time of the whole batch. Rounds alternate the set-ups so a shared machine that
slows down for a while slows all of them.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import queue
import shutil
import signal
import smtplib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.filter import mail  # noqa: E402  (keys, DNS data and messages shared with the e2e tests)
from tests.support.nsd import NSDServer  # noqa: E402
from tests.support.postfix import configure, free_port, require_postfix, start_instances, stop_instances  # noqa: E402
from tests.support.zones import snapshot_to_zones  # noqa: E402

DNS_HOST = "127.0.0.153"
TO = "dana@home.test"

DISCARD_MAIN = """
virtual_transport = discard:benchmark
smtpd_client_connection_count_limit = 0
smtpd_client_connection_rate_limit = 0
default_process_limit = 100
in_flow_delay = 0
# a forger's session gets many 5xx in a row: no tarpit (error sleep) and no disconnect after 20 errors,
# or the run measures Postfix's anti-abuse delays instead of the milters
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 100000
smtpd_hard_error_limit = 100000
"""
MILTER_MAIN = """
smtpd_milters = {milters}
milter_default_action = tempfail
milter_protocol = 6
milter_content_timeout = 60s
"""


# --------------------------------------------------------------------------- the message mix
@dataclass(frozen=True)
class Item:
    kind: str
    source: str
    mail_from: str
    data: bytes


def message_mix(n: int) -> list[Item]:
    """Deterministic mix: what a small domain's MX sees, with more forgeries than usual."""
    recipe = [
        ("genuine-partner", 8), ("genuine-home", 2), ("unsigned-nopolicy", 2),
        ("forged-p-reject", 3), ("self-spoof-p-none", 3), ("list-arc", 2),
    ]
    items: list[Item] = []
    i = 0
    while len(items) < n:
        for kind, weight in recipe:
            for _ in range(weight):
                if len(items) >= n:
                    break
                items.append(_make(kind, i))
                i += 1
    return items


def _make(kind: str, i: int) -> Item:
    subject = f"bench {i}"
    if kind == "genuine-partner":
        return Item(kind, mail.PARTNER_IP, "alice@partner.test", mail.signed("alice@partner.test", TO, subject))
    if kind == "genuine-home":
        return Item(kind, mail.HOME_IP, "bob@home.test", mail.signed("bob@home.test", TO, subject, keyname="home"))
    if kind == "unsigned-nopolicy":
        return Item(kind, "127.0.0.77", "news@far.test", mail.plain("news@far.test", TO, subject))
    if kind == "forged-p-reject":
        return Item(kind, mail.FORGER_IP, "x@evil.test", mail.plain("alice@partner.test", TO, subject))
    if kind == "self-spoof-p-none":
        return Item(kind, mail.FORGER_IP, "ceo@home.test", mail.plain("ceo@home.test", TO, subject))
    original = mail.signed("alice@partner.test", "list@list.test", subject)
    return Item(kind, mail.LIST_IP, "list-bounces@list.test", mail.list_forward(original, "list.test", keyname="list"))


# --------------------------------------------------------------------------- the milters
class Milters:
    """mailwarden filter, OpenDKIM and OpenDMARC processes; stopped by their pids."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.procs: list[subprocess.Popen] = []
        self.ports: dict[str, int] = {}

    def _spawn(self, name: str, argv: list[str], where: int | str, **kw: Any) -> None:
        """Start a milter; ``where`` is its TCP port or its unix socket path (waited for)."""
        log = open(self.base / f"{name}.log", "wb")  # noqa: SIM115 - lives as long as the process
        self.procs.append(subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, **kw))
        if isinstance(where, int):
            self.ports[name] = where
            from tests.support.postfix import wait_port

            ready = wait_port(where, 20)
        else:
            end = time.monotonic() + 20
            while not Path(where).exists() and time.monotonic() < end:
                time.sleep(0.05)
            ready = Path(where).exists()
        if not ready:
            raise RuntimeError(f"{name} did not listen on {where}: {(self.base / f'{name}.log').read_text()[-1500:]}")

    def _where(self, name: str, unix: bool) -> tuple[str, str, str | int]:
        """(our --listen syntax, libmilter syntax, what to wait for) for one milter."""
        if unix:
            path = self.base / f"{name}.sock"
            return f"unix:{path}", f"local:{path}", str(path)
        port = free_port()
        return f"inet:127.0.0.1:{port}", f"inet:{port}@127.0.0.1", port

    def start_mailwarden(self, unix: bool) -> str:
        listen, _, wait = self._where("mailwarden", unix)
        cfg = self.base / "filter.toml"
        cfg.write_text('[dmarc]\ntrusted_arc_sealers = ["list.test"]\n')
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        self._spawn("mailwarden", [sys.executable, "-m", "mailwarden", "filter", "--listen", listen,
                                   "--config", str(cfg), "--authserv-id", "mx.home.test",
                                   "--local-domain", "home.test", "--nameserver", f"{DNS_HOST}:53",
                                   "--log-level", os.environ.get("MW_BENCH_FILTER_LOG", "warning")], wait, env=env, preexec_fn=lambda: os.umask(0))
        return listen

    def start_opendkim_opendmarc(self, unix: bool) -> str:
        dkim_listen, dkim_socket, dkim_wait = self._where("opendkim", unix)
        dmarc_listen, dmarc_socket, dmarc_wait = self._where("opendmarc", unix)
        (self.base / "opendkim.conf").write_text(
            f"Socket {dkim_socket}\nUMask 000\nMode v\nSyslog no\nUserID root\nAuthservID mx.home.test\n"
            f"PidFile {self.base}/opendkim.pid\nNameservers {DNS_HOST}\n")
        (self.base / "opendmarc.conf").write_text(
            f"Socket {dmarc_socket}\nUMask 000\nSyslog false\nUserID root\nAuthservID mx.home.test\n"
            f"TrustedAuthservIDs mx.home.test\nRejectFailures true\nSPFSelfValidate true\n"
            f"IgnoreAuthenticatedClients true\nPidFile {self.base}/opendmarc.pid\n")
        (self.base / "resolv.conf").write_text(f"nameserver {DNS_HOST}\n")
        opendkim = shutil.which("opendkim") or "/usr/sbin/opendkim"
        opendmarc = shutil.which("opendmarc") or "/usr/sbin/opendmarc"
        self._spawn("opendkim", [opendkim, "-f", "-x", str(self.base / "opendkim.conf")], dkim_wait)
        # private mount namespace: only this process sees the loopback resolv.conf
        script = f'mount --bind {self.base}/resolv.conf /etc/resolv.conf && exec {opendmarc} -f -c {self.base}/opendmarc.conf'
        self._spawn("opendmarc", ["unshare", "-m", "sh", "-c", script], dmarc_wait)
        return f"{dkim_listen}, {dmarc_listen}"

    def start_noop(self, library: str) -> None:
        port = free_port()
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        self._spawn(f"noop-{library}", [sys.executable, str(ROOT / "bench" / "noop_milters.py"), library, str(port)],
                    port, env=env)

    def start_noop_unix(self) -> str:
        """The no-op pymilter on a unix socket Postfix's smtpd (user postfix) may open."""
        path = self.base / "noop.sock"
        env = dict(os.environ, PYTHONPATH=str(ROOT))
        log = open(self.base / "noop-unix.log", "wb")  # noqa: SIM115 - lives as long as the process
        self.procs.append(subprocess.Popen([sys.executable, str(ROOT / "bench" / "noop_milters.py"), "pymilter",
                                            f"unix:{path}"], stdout=log, stderr=subprocess.STDOUT, env=env,
                                           preexec_fn=lambda: os.umask(0)))
        end = time.monotonic() + 20
        while not path.exists() and time.monotonic() < end:
            time.sleep(0.05)
        return f"unix:{path}"

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(15)
            except subprocess.TimeoutExpired:
                p.kill()


# --------------------------------------------------------------------------- the client
@dataclass
class Batch:
    seconds: float
    latencies: list[float]
    codes: dict[str, dict[int, int]] = field(default_factory=dict)
    session_setups: list[float] = field(default_factory=list)  # connect + banner + EHLO, seconds


def send_batch(port: int, items: list[Item], concurrency: int) -> Batch:
    """Send every item once with ``concurrency`` sessions; per-message latency and the answer codes."""
    work: queue.Queue[tuple[int, Item]] = queue.Queue()
    for pair in enumerate(items):
        work.put(pair)
    latencies = [0.0] * len(items)
    codes: list[int] = [0] * len(items)
    first_in_session = [False] * len(items)
    setups: list[float] = []

    def worker() -> None:
        sessions: dict[str, smtplib.SMTP] = {}
        try:
            while True:
                try:
                    index, item = work.get_nowait()
                except queue.Empty:
                    return
                smtp = sessions.get(item.source)
                if smtp is None:
                    opened = time.perf_counter()
                    smtp = sessions[item.source] = smtplib.SMTP("127.0.0.1", port, source_address=(item.source, 0),
                                                                timeout=60)
                    smtp.ehlo("client.bench")
                    setups.append(time.perf_counter() - opened)
                    first_in_session[index] = True
                started = time.perf_counter()
                smtp.mail(item.mail_from)
                smtp.rcpt(TO)
                code, _ = smtp.data(item.data)
                latencies[index] = time.perf_counter() - started
                codes[index] = code
        finally:
            for s in sessions.values():
                try:
                    s.quit()
                except smtplib.SMTPException:
                    s.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    if os.environ.get("MW_BENCH_SLOWEST"):
        slow = sorted(range(len(items)), key=lambda i: -latencies[i])[:5]
        print("slowest:", [(round(latencies[i] * 1000), items[i].kind, first_in_session[i]) for i in slow],
              file=sys.stderr)
    by_kind: dict[str, dict[int, int]] = {}
    for item, code in zip(items, codes, strict=True):
        by_kind.setdefault(item.kind, {}).setdefault(code, 0)
        by_kind[item.kind][code] += 1
    return Batch(seconds, latencies, by_kind, setups)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# --------------------------------------------------------------------------- the run
SETUPS = ("none", "mailwarden", "opendkim+opendmarc")
LIBRARY_SETUPS = ("none", "noop-pymilter", "noop-purepythonmilter", "noop-pymilter-unix")


def run(args: argparse.Namespace) -> dict[str, Any]:
    postfix = require_postfix()
    items = message_mix(args.messages)
    base = Path(tempfile.mkdtemp(prefix="mailwarden-postfix-bench-"))
    base.chmod(0o755)
    zones = snapshot_to_zones({k: v for k, v in mail.snapshot().items() if not isinstance(v.get("TXT"), str)})
    nsd = NSDServer(zones, host=DNS_HOST, port=53)
    milters = Milters(base)
    started = []
    setups = LIBRARY_SETUPS if args.libraries else SETUPS
    try:
        specs: dict[str, str | None] = {"none": None}
        if args.libraries:
            for library in ("pymilter", "purepythonmilter"):
                milters.start_noop(library)
                specs[f"noop-{library}"] = f"inet:127.0.0.1:{milters.ports[f'noop-{library}']}"
            specs["noop-pymilter-unix"] = milters.start_noop_unix()
        else:
            unix = args.transport == "unix"
            specs["mailwarden"] = milters.start_mailwarden(unix)
            specs["opendkim+opendmarc"] = milters.start_opendkim_opendmarc(unix)
        instances = {
            name: configure(base, name.replace("+", "-"), ["home.test"], "@home.test home.test/all/\n",
                            extra_main=DISCARD_MAIN + (MILTER_MAIN.format(milters=spec) if spec else ""))
            for name, spec in specs.items()
        }
        started = start_instances(postfix, list(instances.values()))
        # warm-up: one small batch each (process pools, caches, first imports)
        for name in setups:
            send_batch(instances[name].port, items[:40], args.concurrency)
        rounds: dict[str, list[Batch]] = {name: [] for name in setups}
        for r in range(args.rounds):
            order = setups if r % 2 == 0 else tuple(reversed(setups))
            for name in order:
                batch = send_batch(instances[name].port, items, args.concurrency)
                rounds[name].append(batch)
                print(f"round {r + 1} {name:20s} {len(items) / batch.seconds:7.1f} msg/s  "
                      f"p50 {percentile(batch.latencies, 0.5) * 1000:6.2f} ms  "
                      f"p99 {percentile(batch.latencies, 0.99) * 1000:6.2f} ms", file=sys.stderr, flush=True)
        return summarize(rounds, items, args)
    finally:
        stop_instances(postfix, started)
        milters.stop()
        nsd.stop()
        if args.keep:
            print(f"kept {base} (logs of Postfix and the milters)", file=sys.stderr)
        else:
            shutil.rmtree(base, ignore_errors=True)


def summarize(rounds: dict[str, list[Batch]], items: list[Item], args: argparse.Namespace) -> dict[str, Any]:
    out: dict[str, Any] = {"messages": len(items), "rounds": args.rounds, "concurrency": args.concurrency,
                           "transport": "mixed" if args.libraries else args.transport,
                           "setups": {}, "load_average_after": os.getloadavg(), "python": platform.python_version()}
    for name, batches in rounds.items():
        rates = [len(items) / b.seconds for b in batches]
        out["setups"][name] = {
            "msg_per_s": statistics.median(rates), "msg_per_s_rounds": rates,
            "p50_ms": statistics.median(percentile(b.latencies, 0.5) * 1000 for b in batches),
            "p99_ms": statistics.median(percentile(b.latencies, 0.99) * 1000 for b in batches),
            "answers": batches[-1].codes,
            "session_setup_p50_ms": statistics.median(percentile(b.session_setups, 0.5) * 1000 for b in batches),
            "session_setup_max_ms": max(max(b.session_setups) * 1000 for b in batches),
        }
    names = list(rounds)
    for name in names[1:]:
        added50 = [percentile(b.latencies, 0.5) - percentile(n.latencies, 0.5)
                   for b, n in zip(rounds[name], rounds["none"], strict=True)]
        added99 = [percentile(b.latencies, 0.99) - percentile(n.latencies, 0.99)
                   for b, n in zip(rounds[name], rounds["none"], strict=True)]
        out["setups"][name]["added_p50_ms"] = statistics.median(added50) * 1000
        out["setups"][name]["added_p99_ms"] = statistics.median(added99) * 1000
    first, second = names[1], names[2]
    ratios = [b.seconds / a.seconds for a, b in zip(rounds[first], rounds[second], strict=True)]
    out["throughput_ratio"] = {"of": first, "to": second, "median": statistics.median(ratios)}
    return out


def report(result: dict[str, Any]) -> str:
    s = result["setups"]
    names = list(s)
    lines = [f"{result['messages']} messages x {result['rounds']} rounds, {result['concurrency']} SMTP sessions, "
             f"milters on {result['transport']} sockets",
             f"{'set-up':22s} {'msg/s':>8s} {'p50 ms':>8s} {'p99 ms':>8s} {'+p50 ms':>8s} {'+p99 ms':>8s}"]
    for name in names:
        x = s[name]
        lines.append(f"{name:22s} {x['msg_per_s']:8.1f} {x['p50_ms']:8.2f} {x['p99_ms']:8.2f} "
                     f"{x.get('added_p50_ms', 0):8.2f} {x.get('added_p99_ms', 0):8.2f}")
    lines.append("session set-up (connect, banner, EHLO; milter connect + negotiate): " + ", ".join(
        f"{n} p50 {s[n]['session_setup_p50_ms']:.1f} ms max {s[n]['session_setup_max_ms']:.0f} ms" for n in names))
    lines.append("answers per kind (last round): ")
    for name in names:
        lines.append(f"  {name}: " + "; ".join(f"{k} {dict(sorted(v.items()))}" for k, v in sorted(s[name]["answers"].items())))
    ratio = result["throughput_ratio"]["median"]
    lines.append(f"throughput {names[1]} / {names[2]}: {ratio:.2f}x (median of the per-round ratios)")
    if "mailwarden" not in s:
        lines.append(f"load average after the run: {' '.join(f'{x:.2f}' for x in result['load_average_after'])}")
        return "\n".join(lines)
    mw = s["mailwarden"]
    lines.append(f"targets: throughput >= OpenDKIM+OpenDMARC: {ratio:.2f}x ({'met' if ratio >= 1 else 'MISSED'}); "
                 f">= 500 msg/s: {mw['msg_per_s']:.0f} ({'met' if mw['msg_per_s'] >= 500 else 'MISSED'}); "
                 f"p99 added < 10 ms: {mw['added_p99_ms']:.2f} ({'met' if mw['added_p99_ms'] < 10 else 'MISSED'})")
    lines.append(f"load average after the run: {' '.join(f'{x:.2f}' for x in result['load_average_after'])}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--quick", action="store_true", help="300 messages per batch")
    parser.add_argument("--json", metavar="OUT")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder with every log")
    parser.add_argument("--transport", choices=("unix", "inet"), default="unix",
                        help="how Postfix reaches the milters (default unix; inet shows the loopback TCP stall)")
    parser.add_argument("--libraries", action="store_true",
                        help="compare the milter libraries instead: no-op pymilter vs no-op purepythonmilter")
    args = parser.parse_args()
    if args.quick:
        args.messages = 300
    if os.geteuid() != 0:
        sys.exit("bench/mta.py needs root (separate Postfix instances, NSD on port 53, unshare -m)")
    result = run(args)
    print(report(result))
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
