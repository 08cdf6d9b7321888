"""Counters for monitoring: messages, verdicts, actions and latency.

Rendered in the Prometheus text exposition format (version 0.0.4) for an
optional loopback HTTP endpoint, and as one ``stats`` log line.  Counters are
per process and start at zero: many filter processes are summed by the
monitoring system, never by each other.  Updates come from the milter's
threads, so they take a lock (a few hundred nanoseconds per message).
"""

from __future__ import annotations

import bisect
import threading
from collections import Counter

#: Latency histogram bucket bounds in seconds.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """Process-wide counters (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.messages = 0
        self.verdicts: Counter[str] = Counter()
        self.actions: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.reloads: Counter[str] = Counter()
        self._bucket_counts = [0] * (len(BUCKETS) + 1)
        self.latency_sum = 0.0

    def record(self, verdict: str, action: str, seconds: float) -> None:
        with self._lock:
            self.messages += 1
            self.verdicts[verdict] += 1
            self.actions[action] += 1
            self._bucket_counts[bisect.bisect_left(BUCKETS, seconds)] += 1
            self.latency_sum += seconds

    def error(self, kind: str) -> None:
        with self._lock:
            self.errors[kind] += 1

    def reload(self, outcome: str) -> None:
        with self._lock:
            self.reloads[outcome] += 1

    def render(self) -> str:
        """The Prometheus text format."""
        with self._lock:
            lines = [
                "# HELP mailwarden_filter_messages_total Messages evaluated.",
                "# TYPE mailwarden_filter_messages_total counter",
                f"mailwarden_filter_messages_total {self.messages}",
                "# HELP mailwarden_filter_verdicts_total Messages by the guard that decided them.",
                "# TYPE mailwarden_filter_verdicts_total counter",
            ]
            lines += [f'mailwarden_filter_verdicts_total{{verdict="{k}"}} {v}' for k, v in sorted(self.verdicts.items())]
            lines += ["# HELP mailwarden_filter_actions_total Answers given to the MTA.",
                      "# TYPE mailwarden_filter_actions_total counter"]
            lines += [f'mailwarden_filter_actions_total{{action="{k}"}} {v}' for k, v in sorted(self.actions.items())]
            lines += ["# HELP mailwarden_filter_errors_total Messages answered by the fail-safe, by cause.",
                      "# TYPE mailwarden_filter_errors_total counter"]
            lines += [f'mailwarden_filter_errors_total{{cause="{k}"}} {v}' for k, v in sorted(self.errors.items())]
            lines += ["# HELP mailwarden_filter_reloads_total Configuration reloads (SIGHUP).",
                      "# TYPE mailwarden_filter_reloads_total counter"]
            lines += [f'mailwarden_filter_reloads_total{{outcome="{k}"}} {v}' for k, v in sorted(self.reloads.items())]
            lines += ["# HELP mailwarden_filter_latency_seconds Time from end of message to the answer.",
                      "# TYPE mailwarden_filter_latency_seconds histogram"]
            running = 0
            for bound, count in zip(BUCKETS, self._bucket_counts, strict=False):
                running += count
                lines.append(f'mailwarden_filter_latency_seconds_bucket{{le="{bound}"}} {running}')
            lines.append(f'mailwarden_filter_latency_seconds_bucket{{le="+Inf"}} {self.messages}')
            lines.append(f"mailwarden_filter_latency_seconds_sum {self.latency_sum:.6f}")
            lines.append(f"mailwarden_filter_latency_seconds_count {self.messages}")
        return "\n".join(lines) + "\n"

    def stats_line(self) -> str:
        """One log line: ``stats messages=N accept=N reject=N ... mean_ms=X``."""
        with self._lock:
            parts = [f"messages={self.messages}"]
            parts += [f"{k}={v}" for k, v in sorted(self.actions.items())]
            parts += [f"verdict_{k}={v}" for k, v in sorted(self.verdicts.items())]
            parts += [f"error_{k}={v}" for k, v in sorted(self.errors.items())]
            mean = (self.latency_sum / self.messages * 1000) if self.messages else 0.0
            parts.append(f"mean_ms={mean:.2f}")
        return "stats " + " ".join(parts)


async def serve_metrics(metrics: Metrics, host: str, port: int):
    """A minimal HTTP/1.0 endpoint: any GET answers the counters; returns the asyncio server."""
    import asyncio

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            body = metrics.render().encode()
            writer.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n"
                         + f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            await writer.drain()
        except (TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, OSError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port, limit=16 * 1024)
