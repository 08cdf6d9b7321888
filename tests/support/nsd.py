"""A real NSD authoritative server on 127.0.0.1, started by the tests.

``NSDServer({"example.test": "@ TXT \"v=spf1 -all\"\\n..."})`` writes the zone
files and an ``nsd.conf`` into a temporary folder, starts ``nsd -d`` on a free
loopback port and waits until it answers.  Zone text is relative to the zone
origin; an SOA and NS are added when the text has none.  See
``../shared/recipes/RECIPES.md`` section 2 for the configuration choices.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

ZONE_HEADER = """$ORIGIN {origin}.
$TTL 300
@ IN SOA ns.{origin}. hostmaster.{origin}. 1 3600 600 86400 300
@ IN NS ns.{origin}.
"""


def free_port() -> int:
    """A port free for both UDP and TCP on 127.0.0.1."""
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as tcp:
            tcp.bind(("127.0.0.1", 0))
            port = tcp.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
                try:
                    udp.bind(("127.0.0.1", port))
                except OSError:
                    continue
            return port
    raise RuntimeError("no free port on 127.0.0.1")


def nsd_binary() -> str | None:
    return shutil.which("nsd") or (str(Path("/usr/sbin/nsd")) if Path("/usr/sbin/nsd").exists() else None)


class NSDServer:
    def __init__(self, zones: dict[str, str], *, host: str = "127.0.0.1", port: int | None = None) -> None:
        """``host``/``port``: a fixed loopback address (e.g. 127.0.0.153:53 for tools that only
        read /etc/resolv.conf); default a free port on 127.0.0.1."""
        binary = nsd_binary()
        if binary is None:
            raise FileNotFoundError("nsd is not installed (apt-get install nsd)")
        self.dir = Path(tempfile.mkdtemp(prefix="mw-nsd-"))
        self.host = host
        self.port = port or free_port()
        self.address = f"{host}:{self.port}"
        conf = [
            "server:",
            f"    ip-address: {host}@{self.port}",
            "    do-ip6: no",
            '    username: ""',
            '    chroot: ""',
            f'    zonesdir: "{self.dir}"',
            '    database: ""',
            f'    pidfile: "{self.dir}/nsd.pid"',
            f'    xfrdfile: "{self.dir}/xfrd.state"',
            f'    xfrdir: "{self.dir}"',
            f'    zonelistfile: "{self.dir}/zone.list"',
            f'    logfile: "{self.dir}/nsd.log"',
            "    server-count: 1",
            "    verbosity: 1",
            "remote-control:",
            "    control-enable: no",
        ]
        for origin, text in zones.items():
            origin = origin.rstrip(".").lower()
            body = text if " SOA " in text.upper() else ZONE_HEADER.format(origin=origin) + text
            (self.dir / f"{origin}.zone").write_text(body + "\n")
            conf += ["zone:", f'    name: "{origin}"', f'    zonefile: "{origin}.zone"']
        (self.dir / "nsd.conf").write_text("\n".join(conf) + "\n")
        self.process = subprocess.Popen(
            [binary, "-d", "-c", str(self.dir / "nsd.conf")],
            stdout=open(self.dir / "stdout.log", "wb"),  # noqa: SIM115 - closed with the process
            stderr=subprocess.STDOUT,
        )
        self._wait(next(iter(zones), "."))

    def _wait(self, origin: str, timeout: float = 10.0) -> None:
        import dns.message
        import dns.query

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"nsd exited: {self.log()}")
            try:
                dns.query.udp(dns.message.make_query(origin, "SOA"), self.host, timeout=0.2, port=self.port)
                return
            except Exception:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"nsd did not answer on {self.address}: {self.log()}")

    def log(self) -> str:
        parts = []
        for name in ("stdout.log", "nsd.log"):
            path = self.dir / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-2000:])
        return "\n".join(parts)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> NSDServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
