"""The filter process on its own (no MTA): listening on TCP, SIGHUP with a good file, SIGTERM."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.filter import mail
from tests.support.postfix import free_port, wait_port

ROOT = Path(__file__).resolve().parents[2]


def _wait_log(path: Path, text: str, seconds: float = 15) -> str:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        log = path.read_text(errors="replace") if path.exists() else ""
        if text in log:
            return log
        time.sleep(0.05)
    raise AssertionError(f"{text!r} not logged:\n{log[-2000:]}")


def test_inet_listener_reload_and_clean_stop(tmp_path):
    pytest.importorskip("Milter")
    (tmp_path / "dns.json").write_text(json.dumps(mail.snapshot()))
    (tmp_path / "f.toml").write_text('local_domains = ["home.test"]\n')
    port, log = free_port(), tmp_path / "filter.log"
    with open(log, "wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "mailwarden", "filter", "--listen", f"inet:127.0.0.1:{port}", "--config",
             str(tmp_path / "f.toml"), "--dns", str(tmp_path / "dns.json"), "--authserv-id", "mx.home.test"],
            stdout=subprocess.DEVNULL, stderr=err, env=dict(os.environ, PYTHONPATH=str(ROOT / "src")))
    try:
        assert wait_port(port, 20), log.read_text()
        _wait_log(log, f"listening on inet:127.0.0.1:{port} (authserv-id mx.home.test, local domains home.test)")
        proc.send_signal(signal.SIGHUP)
        _wait_log(log, "configuration reloaded from")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
        text = _wait_log(log, "stopped")
        assert "Traceback" not in text
        assert "stats messages=0" in text
    finally:
        if proc.poll() is None:
            proc.kill()
