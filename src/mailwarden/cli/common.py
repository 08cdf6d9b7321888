"""Options and helpers shared by every command (SPEC section 3).

Use :func:`dns_options` on a command to get ``--json``, ``--dns``,
``--nameserver``, ``--dns-record``, ``--now`` and ``--dns-timeout``; the command
receives one :class:`Options` argument named ``opts``.
"""

from __future__ import annotations

import functools
import json
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import click

from mailwarden.errors import InputError

if TYPE_CHECKING:
    from mailwarden.dns.base import Resolver
    from mailwarden.message.model import Message

T = TypeVar("T")


@dataclass(frozen=True)
class Options:
    """The shared options of one invocation."""

    json: bool
    dns_file: str | None
    nameserver: str | None
    record_file: str | None
    now: float
    dns_timeout: float

    def make_resolver(self) -> Resolver:
        from mailwarden.dns import make_resolver

        if self.dns_file is not None and (self.record_file is not None or self.nameserver is not None):
            raise InputError("--dns cannot be combined with --nameserver or --dns-record")
        return make_resolver(self.dns_file, self.nameserver, self.record_file, timeout=self.dns_timeout)

    def run(self, job: Callable[[Resolver], Awaitable[T]]) -> T:
        """Run ``job(resolver)`` on a fresh event loop; always close the resolver (flushes recordings)."""
        import asyncio  # lazy: commands that do no DNS do not pay for it

        resolver = self.make_resolver()

        async def runner() -> T:
            try:
                return await job(resolver)
            finally:
                await resolver.aclose()

        return asyncio.run(runner())


def dns_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """Add the shared options; the wrapped function gets ``opts: Options``."""

    @click.option("--json", "as_json", is_flag=True, help="Print exactly one JSON object on stdout.")
    @click.option("--dns", "dns_file", metavar="FILE", help="Answer every DNS question from this snapshot file.")
    @click.option("--nameserver", metavar="HOST[:PORT]", help="Live DNS through this server.")
    @click.option("--dns-record", "record_file", metavar="FILE", help="Live DNS; write every answer used to FILE.")
    @click.option("--now", metavar="UNIXTIME", type=float, help="Evaluation time (default: the clock).")
    @click.option("--dns-timeout", type=click.FloatRange(0.05, 120), default=5.0, show_default=True,
                  help="Seconds allowed for one DNS question.")
    @functools.wraps(func)
    def wrapper(*args: Any, as_json: bool, dns_file: str | None, nameserver: str | None,
                record_file: str | None, now: float | None, dns_timeout: float, **kwargs: Any) -> Any:
        opts = Options(as_json, dns_file, nameserver, record_file, time.time() if now is None else now, dns_timeout)
        return func(*args, opts=opts, **kwargs)

    return wrapper


def read_input(path: str, *, what: str = "input") -> bytes:
    """Bytes of a file, or of standard input for ``-``; bounded by ``MAX_INPUT_BYTES``."""
    from mailwarden.message.source import MAX_INPUT_BYTES, check_size, read_file

    if path != "-":
        return read_file(path, what=what)
    try:
        data = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise InputError(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    check_size(data, f"{what} {path}")
    return data


def read_message(path: str) -> Message:
    """Parse the message at ``path`` (``-`` = standard input)."""
    from mailwarden.message import parse_message

    return parse_message(read_input(path, what="message"))


def emit_json(obj: Any) -> None:
    """Write one JSON object to stdout as UTF-8."""
    data = json.dumps(obj, ensure_ascii=False, indent=2, default=_json_default)
    sys.stdout.buffer.write(data.encode("utf-8", "backslashreplace") + b"\n")
    sys.stdout.flush()


def _json_default(value: Any) -> Any:
    import dataclasses
    import enum

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset, tuple)):
        return list(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def emit(opts: Options, obj: Any, human: Callable[[], None]) -> None:
    """JSON with ``--json``, otherwise call the human renderer."""
    if opts.json:
        emit_json(obj)
    else:
        human()
