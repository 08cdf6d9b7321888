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


class AnswerTally:
    """Wraps a resolver and counts questions answered and not answered (SERVFAIL, TIMEOUT).

    A command whose every question went unanswered concluded nothing: it exits 3
    with one line naming the resolver (SPEC section 3), instead of a verdict.
    """

    def __init__(self, inner: Resolver) -> None:
        self.inner = inner
        self.answered = 0
        self.failed: dict[tuple[str, str], str] = {}

    async def query(self, name: str, rdtype: str):
        answer = await self.inner.query(name, rdtype)
        if answer.failed:
            self.failed.setdefault((answer.name, rdtype.upper()), answer.rcode.value)
        else:
            self.answered += 1
        return answer

    def restart(self) -> None:
        """A new message: a new overall DNS deadline and a new tally."""
        restart = getattr(self.inner, "restart_deadline", None)
        if restart is not None:
            restart()
        self.answered = 0
        self.failed = {}

    def nothing_answered(self) -> bool:
        return self.answered == 0 and bool(self.failed)

    def describe_failure(self, nameserver: str | None) -> str:
        names = [f"{n} {t} ({r})" for (n, t), r in self.failed.items()]
        shown = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
        server = f"the DNS server {nameserver}" if nameserver else "the DNS resolver"
        return (f"{server} answered none of the {len(names)} questions ({shown}) within the DNS deadline, "
                "so nothing could be checked; retrying later (or with another --nameserver) may help")

    async def aclose(self) -> None:
        await self.inner.aclose()


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
    """Parse the message at ``path`` (``-`` = standard input); exit 2 for input that is not a message."""
    from mailwarden.message import parse_message
    from mailwarden.message.split import check_is_message

    data = read_input(path, what="message")
    check_is_message(data)
    return parse_message(data)


def read_messages(path: str) -> list[Message | InputError]:
    """Every message in the file at ``path`` (an mbox or a digest holds several; SPEC section 3).

    Input that is not a message at all raises :class:`InputError`; in a file of
    several, a message that cannot be parsed is returned as its error, in place.
    """
    from mailwarden.message import parse_message
    from mailwarden.message.split import check_is_message, split_messages

    data = read_input(path, what="message")
    check_is_message(data)
    pieces = split_messages(data)
    if len(pieces) == 1:
        return [parse_message(pieces[0])]
    found: list[Message | InputError] = []
    for piece in pieces:
        try:
            found.append(parse_message(piece))
        except InputError as exc:
            found.append(exc)
    return found


def emit_each(opts: Options, items: list[tuple[Any, Callable[[], None]]]) -> None:
    """Results of a file with several messages: JSON Lines with ``"index"`` (0-based), or each human
    answer under a "Message N of M" line (SPEC section 3).  One item is emitted like :func:`emit`."""
    if len(items) == 1:
        emit(opts, items[0][0], items[0][1])
        return
    for index, (obj, human) in enumerate(items):
        if opts.json:
            line = json.dumps({"index": index, **obj}, ensure_ascii=False, default=_json_default)
            sys.stdout.buffer.write(line.encode("utf-8", "backslashreplace") + b"\n")
        else:
            if index:
                sys.stdout.write("\n")
            sys.stdout.write(f"===== Message {index + 1} of {len(items)} =====\n")
            sys.stdout.flush()
            human()
    sys.stdout.flush()


def error_item(error: InputError) -> tuple[dict[str, Any], Callable[[], None]]:
    """The result of a message of a multi-message file that could not be read."""
    import click

    text = f"This message could not be read: {error}"
    return {"error": str(error)}, lambda: click.echo(text)


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
