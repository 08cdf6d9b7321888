"""The filter process: an asyncio loop for the checks, libmilter for the MTA, signals in the main thread.

* The loop runs in its own thread and evaluates every message
  (:func:`mailwarden.filter.service.evaluate`); libmilter's connection threads
  hand messages to it and wait for the answer.
* libmilter runs in another thread, so that the main thread keeps the
  process's signals: **SIGHUP** re-reads the configuration (a bad one is
  refused and the old one kept), **SIGTERM**/SIGINT stop accepting
  connections, let the messages in progress finish (up to the per-message
  time limit) and exit 0.
* Optionally the counters are served on a loopback HTTP port (Prometheus text
  format) and/or written as a ``stats`` log line every N seconds.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from mailwarden.errors import InputError
from mailwarden.filter.metrics import Metrics, serve_metrics
from mailwarden.filter.service import FilterState, Outcome, _failed, build_state, evaluate

if TYPE_CHECKING:
    from mailwarden.filter.config import FilterConfig
    from mailwarden.filter.decision import Transaction

log = logging.getLogger("mailwarden.filter")


def libmilter_socket(listen: str) -> str:
    """``inet:HOST:PORT`` / ``unix:PATH`` (our syntax) -> libmilter's ``inet:PORT@HOST`` / ``unix:PATH``."""
    kind, _, rest = listen.partition(":")
    if kind == "unix" and rest:
        return f"unix:{rest}"
    if kind in ("inet", "inet6") and rest:
        host, _, port = rest.rpartition(":")
        host = host.strip("[]")
        if host and port.isdigit() and 0 < int(port) < 65536:
            return f"{kind}:{port}@{host}"
    raise InputError(f"--listen {listen[:100]!r}: use inet:HOST:PORT or unix:PATH")


class Runtime:
    """The state shared by the milter threads and the loop; the current :class:`FilterState` is swapped on reload."""

    def __init__(self, load: Callable[[], FilterConfig]) -> None:
        self._load = load
        self.state: FilterState = build_state(load())
        _warm_up()
        self.metrics = Metrics()
        self._active = 0
        self._active_lock = threading.Lock()
        self.loop = asyncio.new_event_loop()
        self._loop_thread = threading.Thread(target=self.loop.run_forever, name="mailwarden-loop", daemon=True)
        self._loop_thread.start()
        self._metrics_server = None
        self._stats_handle: asyncio.TimerHandle | None = None
        self._apply_monitoring()

    # --- per message (called from libmilter threads) --------------------------------------------
    def submit(self, raw: bytes, headers: list[tuple[str, str]], tx: Transaction, *, truncated: bool) -> Outcome:
        state = self.state
        with self._active_lock:
            self._active += 1
        try:
            future = asyncio.run_coroutine_threadsafe(
                evaluate(state, raw, headers, tx, truncated=truncated), self.loop)
            try:
                outcome = future.result(timeout=state.config.timeout + 2)
            except Exception as exc:  # the loop itself is stuck or gone: still answer
                future.cancel()
                outcome = _failed(state.config, headers, f"no answer from the checking loop: {type(exc).__name__}")
        finally:
            with self._active_lock:
                self._active -= 1
        d = outcome.decision
        self.metrics.record(d.verdict, d.action, outcome.seconds)
        if d.guard == "error":
            self.metrics.error("timeout" if "within" in d.reasons[-1] else "internal")
        log.info("%s action=%s verdict=%s client=%s from=<%s> ms=%.1f reasons=%s", tx.queue_id or "-", d.action,
                 d.verdict, tx.client_ip, tx.mail_from, outcome.seconds * 1000, "; ".join(d.reasons)[:500])
        return outcome

    @property
    def active(self) -> int:
        with self._active_lock:
            return self._active

    # --- configuration ----------------------------------------------------------------------------
    def reload(self) -> bool:
        """Build a new state from the configuration; keep the old one when the new one is unusable."""
        try:
            new = build_state(self._load())
        except InputError as exc:
            log.error("reload refused, keeping the previous configuration: %s", exc)
            self.metrics.reload("refused")
            return False
        except Exception:
            log.exception("reload failed, keeping the previous configuration")
            self.metrics.reload("failed")
            return False
        old = self.state
        self.state = new
        self.metrics.reload("ok")
        if (old.config.prometheus_listen, old.config.stats_interval) != (new.config.prometheus_listen,
                                                                         new.config.stats_interval):
            self._apply_monitoring()
        log.info("configuration reloaded from %s", new.config.source or "the command line")
        return True

    def _apply_monitoring(self) -> None:
        config = self.state.config

        async def apply() -> None:
            if self._metrics_server is not None:
                self._metrics_server.close()
                self._metrics_server = None
            if config.prometheus_listen:
                host, _, port = config.prometheus_listen.rpartition(":")
                self._metrics_server = await serve_metrics(self.metrics, host.strip("[]"), int(port))
                bound = self._metrics_server.sockets[0].getsockname()
                log.info("counters on http://%s:%s/metrics", bound[0], bound[1])
            if self._stats_handle is not None:
                self._stats_handle.cancel()
                self._stats_handle = None
            if config.stats_interval > 0:
                self._schedule_stats(config.stats_interval)

        asyncio.run_coroutine_threadsafe(apply(), self.loop).result(timeout=10)

    def _schedule_stats(self, interval: float) -> None:
        def tick() -> None:
            log.info("%s", self.metrics.stats_line())
            self._stats_handle = self.loop.call_later(interval, tick)

        self._stats_handle = self.loop.call_later(interval, tick)

    def close(self) -> None:
        async def stop() -> None:
            if self._metrics_server is not None:
                self._metrics_server.close()
            if self._stats_handle is not None:
                self._stats_handle.cancel()

        asyncio.run_coroutine_threadsafe(stop(), self.loop).result(timeout=5)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._loop_thread.join(timeout=5)


def _warm_up() -> None:
    """Import the engine now, so that the first message does not pay for it (~200 ms)."""
    import mailwarden.arc.verify
    import mailwarden.auth
    import mailwarden.bounces
    import mailwarden.dkim.verify
    import mailwarden.dmarc
    import mailwarden.message.authres
    import mailwarden.spf  # noqa: F401


def run_filter(listen: str, load: Callable[[], FilterConfig], *, name: str = "mailwarden") -> int:
    """Serve until SIGTERM/SIGINT; returns the exit status."""
    import Milter
    import milter as libmilter

    from mailwarden.filter.milter import MailwardenMilter

    socket_spec = libmilter_socket(listen)
    # libmilter threads and the loop thread hand the GIL back and forth per message: 1 ms, not 5 ms, turns
    sys.setswitchinterval(0.001)
    runtime = Runtime(load)
    MailwardenMilter.runtime = runtime
    Milter.factory = MailwardenMilter
    Milter.set_flags(Milter.ADDHDRS | Milter.CHGHDRS | Milter.QUARANTINE)
    failure: list[BaseException] = []
    stopping = threading.Event()

    def serve() -> None:
        try:
            Milter.runmilter(name, socket_spec, timeout=600)
        except BaseException as exc:  # reported by the main thread
            failure.append(exc)

    thread = threading.Thread(target=serve, name="libmilter", daemon=True)

    def on_hup(signum: int, frame: object) -> None:
        threading.Thread(target=runtime.reload, name="mailwarden-reload", daemon=True).start()

    def on_term(signum: int, frame: object) -> None:
        if not stopping.is_set():
            log.info("%s: stopping (no new connections; finishing %d message(s))",
                     signal.Signals(signum).name, runtime.active)
            stopping.set()
            libmilter.stop()

    signal.signal(signal.SIGHUP, on_hup)
    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    thread.start()
    if not _wait_listening(socket_spec, thread):
        runtime.close()
        reason = f": {failure[0]}" if failure else ""
        raise InputError(f"cannot listen on {listen}{reason}")
    log.info("mailwarden filter %s listening on %s (authserv-id %s, local domains %s)", os.getpid(), listen,
             runtime.state.config.authserv_id, ", ".join(runtime.state.config.local_domains) or "none")
    while thread.is_alive() and not stopping.is_set():
        stopping.wait(0.5)
    # libmilter checks its stop flag every few seconds; messages in progress get their time limit
    deadline = time.monotonic() + runtime.state.config.timeout + 10
    while (thread.is_alive() or runtime.active) and time.monotonic() < deadline:
        thread.join(timeout=0.2)
    log.info("%s", runtime.metrics.stats_line())
    runtime.close()
    log.info("stopped")
    if failure and not stopping.is_set():
        log.error("libmilter stopped: %s", failure[0])
        return 1
    return 0


def _wait_listening(socket_spec: str, thread: threading.Thread, seconds: float = 10.0) -> bool:
    import socket

    kind, _, rest = socket_spec.partition(":")
    end = time.monotonic() + seconds
    while time.monotonic() < end and thread.is_alive():
        try:
            if kind == "unix":
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                    s.settimeout(0.5)
                    s.connect(rest)
            else:
                port, _, host = rest.partition("@")
                with socket.create_connection((host, int(port)), timeout=0.5):
                    pass
            return True
        except OSError:
            time.sleep(0.05)
    return False
