"""A real Postfix on loopback with ``mailwarden filter`` as its milter, for the end-to-end tests.

One Postfix instance per session (``set-permissions`` is slow) delivering
``@home.test`` into one Maildir, and one filter process (``python -m
mailwarden filter``) answering DNS from a snapshot file.  The filter can be
killed and restarted on the same port (the nothing-lost test) and reloaded
with SIGHUP.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import smtplib
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.filter import mail
from tests.support.postfix import (
    IN_CI,
    PostfixInstance,
    configure,
    free_port,
    make_base,
    require_postfix,
    start_instances,
    stop_instances,
)

ROOT = Path(__file__).resolve().parents[2]

MILTER_MAIN = """
smtpd_milters = unix:{socket}
milter_default_action = tempfail
milter_protocol = 6
milter_connect_timeout = 5s
milter_command_timeout = 10s
milter_content_timeout = 20s
milter_mail_macros = i {{mail_addr}} {{auth_type}} {{auth_authen}} {{auth_author}}
"""

CONFIG = """\
authserv_id = "mx.home.test"
local_domains = ["home.test"]
timeout = 5

[dmarc]
trusted_arc_sealers = [{sealers}]

[backscatter]
batv_key_file = "{batv}"

[monitoring]
prometheus_listen = "127.0.0.1:{metrics_port}"
"""


class FilterProcess:
    """``mailwarden filter`` in a subprocess on a unix socket (the recommended set-up), with its log file."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.socket = base / "milter.sock"
        self.config = base / "filter.toml"
        self.log = base / "filter.log"
        self.metrics_port = free_port()
        self.process: subprocess.Popen | None = None
        self.write_config(("list.test",))

    def write_config(self, sealers: tuple[str, ...]) -> None:
        (self.base / "batv.key").write_bytes(mail.BATV_KEY)
        self.config.write_text(CONFIG.format(sealers=", ".join(f'"{s}"' for s in sealers),
                                             batv=self.base / "batv.key", metrics_port=self.metrics_port))

    def start(self) -> None:
        env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "mailwarden", "filter", "--listen", f"unix:{self.socket}",
             "--config", str(self.config), "--dns", str(self.base / "dns.json"), "--stats-interval", "0"],
            stdout=subprocess.DEVNULL, stderr=open(self.log, "ab"), env=env, cwd=self.base,  # noqa: SIM115
            preexec_fn=lambda: os.umask(0o011))  # Postfix's smtpd (user postfix) must be able to connect
        before = self.log_text().count("listening on")
        end = time.monotonic() + 20
        while self.log_text().count("listening on") <= before:
            if time.monotonic() > end or self.process.poll() is not None:
                self.process.kill()
                pytest.fail(f"the filter did not listen on {self.socket}:\n{self.log_text()[-3000:]}")
            time.sleep(0.05)

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)

    def stop(self) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return self.process.returncode if self.process else None
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait(5)

    def reload(self, sealers: tuple[str, ...] | None, *, text: str | None = None,
               expect: str = "configuration reloaded") -> None:
        """Rewrite the configuration (or write ``text``), SIGHUP, and wait for the log line ``expect``."""
        before = self.log_text().count(expect)
        if text is not None:
            self.config.write_text(text)
        else:
            assert sealers is not None
            self.write_config(sealers)
        assert self.process is not None
        self.process.send_signal(signal.SIGHUP)
        end = time.monotonic() + 10
        while self.log_text().count(expect) <= before:
            assert time.monotonic() < end, self.log_text()[-2000:]
            time.sleep(0.05)


class Bench:
    """The running pair and helpers to send and find mail."""

    def __init__(self, postfix: PostfixInstance, filt: FilterProcess) -> None:
        self.postfix, self.filter = postfix, filt

    def send(self, message: bytes, *, mail_from: str, to: str, source: str) -> tuple[int, str]:
        """One SMTP transaction from ``source`` (a loopback address); (code, text) of the DATA answer."""
        with smtplib.SMTP("127.0.0.1", self.postfix.port, source_address=(source, 0), timeout=30) as smtp:
            smtp.ehlo("client.test")
            try:
                smtp.sendmail(mail_from, [to], message)
            except smtplib.SMTPDataError as exc:
                return exc.smtp_code, exc.smtp_error.decode(errors="replace")
            except smtplib.SMTPRecipientsRefused as exc:
                code, text = next(iter(exc.recipients.values()))
                return code, text.decode(errors="replace")
        return 250, "queued"

    def delivered(self, marker: str, seconds: float = 10.0) -> bytes | None:
        """The delivered message whose text holds ``marker`` (waits for the queue to deliver it)."""
        new = self.postfix.run / "mail" / "home.test" / "all" / "new"
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            for path in new.glob("*") if new.exists() else ():
                data = path.read_bytes()
                if marker.encode() in data:
                    return data
            time.sleep(0.05)
        return None

    def logs(self) -> str:
        return (f"--- maillog\n{self.postfix.log_text()[-3000:]}\n--- filter log\n"
                f"{self.filter.log_text()[-3000:]}")

    def metrics(self) -> str:
        import urllib.request

        with urllib.request.urlopen(f"http://127.0.0.1:{self.filter.metrics_port}/metrics", timeout=5) as r:
            return r.read().decode()

    def held(self) -> str:
        postqueue = shutil.which("postqueue") or "/usr/sbin/postqueue"
        return subprocess.run([postqueue, "-c", str(self.postfix.etc), "-p"], capture_output=True,
                              text=True).stdout


@pytest.fixture(scope="session")
def filter_bench():
    postfix = require_postfix()
    try:
        import Milter  # noqa: F401
    except ImportError:
        message = "pymilter is not installed (apt-get install libmilter-dev; pip install pymilter)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    base = make_base()
    (base / "dns.json").write_text(json.dumps(mail.snapshot()))
    filt = FilterProcess(base)
    instance = configure(base, "filter", [mail.LOCAL], f"@{mail.LOCAL}   {mail.LOCAL}/all/\n",
                         extra_main=MILTER_MAIN.format(socket=filt.socket))
    started: list[PostfixInstance] = []
    try:
        filt.start()  # before Postfix: a milter that is not there yet means 451 (recipe pitfall)
        started = start_instances(postfix, [instance])
        yield Bench(instance, filt)
    finally:
        stop_instances(postfix, started)
        filt.stop()
        shutil.rmtree(base, ignore_errors=True)
