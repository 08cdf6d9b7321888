"""One message in, one answer out: the filter's per-message service (SPEC section 14).

:class:`FilterState` is everything a configuration produces (engine with its
resolver and caches, parsed allowlists, BATV key); a SIGHUP builds a new one
and swaps it in whole, so a message is evaluated under exactly one
configuration.  :func:`evaluate` never raises and never waits longer than the
configured time: an internal error or the time limit gives the configured
fail-safe answer.  Nothing a message leaves behind is needed by another
message, so any number of filter processes can serve any number of MTAs.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mailwarden.errors import MessageError
from mailwarden.filter.decision import (
    ACCEPT,
    QUARANTINE,
    REJECT,
    Decision,
    Transaction,
    decide,
    fail_safe,
)

if TYPE_CHECKING:
    from mailwarden.filter.config import FilterConfig
    from mailwarden.filter.engine import Engine
    from mailwarden.message.model import Message

log = logging.getLogger("mailwarden.filter")

AUTH_RESULTS = "Authentication-Results"
QUARANTINE_HEADER = "X-Mailwarden-Quarantine"
ALLOWLIST_HEADER = "X-Mailwarden-Allowlisted"


@dataclass(frozen=True)
class HeaderEdit:
    """``value`` None deletes the ``index``-th (1-based) field called ``name``; else a field is inserted on top."""

    name: str
    index: int
    value: str | None


@dataclass(frozen=True)
class Outcome:
    """The decision and the header changes to make when the message is kept."""

    decision: Decision
    edits: tuple[HeaderEdit, ...] = ()
    seconds: float = 0.0


@dataclass
class FilterState:
    """What one configuration produced; replaced whole on reload."""

    config: FilterConfig
    engine: Engine
    allowlists: tuple[Any, ...] = ()
    batv_key: bytes | None = None
    loaded_at: float = field(default_factory=time.time)


def build_state(config: FilterConfig) -> FilterState:
    """Open the resolver, read the allowlists and the BATV key; :class:`InputError` when unusable."""
    from mailwarden.dns import make_resolver
    from mailwarden.filter.engine import Engine

    # no resolver-wide deadline: the process lives for weeks; each message has its own time limit
    resolver = make_resolver(config.dns_file, config.nameserver, timeout=config.dns_timeout, deadline=None)
    allowlists = []
    if config.allowlist_files:
        from pathlib import Path

        from mailwarden.allowlist import parse_allowlist_bytes
        from mailwarden.errors import InputError

        for path in config.allowlist_files:
            try:
                data = Path(path).read_bytes()
            except OSError as exc:
                raise InputError(f"cannot read allowlist {path}: {exc.strerror or exc}") from None
            allowlists.append(parse_allowlist_bytes(data, filename=path))
    key = None
    if config.batv_key_file:
        from mailwarden.bounces.batv import load_key

        key = load_key(config.batv_key_file)
    engine = Engine(resolver, authserv_id=config.authserv_id, dmarc_mode=config.dmarc_mode)
    return FilterState(config, engine, tuple(allowlists), key)


def own_claims(headers: list[tuple[str, str]], authserv_id: str) -> list[HeaderEdit]:
    """Deletions for every Authentication-Results field that claims ``authserv_id`` (RFC 8601 section 5).

    Such a field was added before the message reached us, so it is forged or
    stale; indices count fields of that name in received order, as the milter
    protocol's change-header action does.
    """
    from mailwarden.message.authres import parse_authentication_results

    wanted = authserv_id.strip().rstrip(".").lower()
    edits = []
    seen = 0
    for name, value in headers:
        if name.lower() != "authentication-results":
            continue
        seen += 1
        claimed = parse_authentication_results(value[:65536]).authserv_id.strip().rstrip(".").lower()
        if claimed == wanted:
            edits.append(HeaderEdit(name, seen, None))
    return edits


#: one result between top-level ";": plain text, (comments) without nesting, "quoted strings"
_RESINFO = re.compile(r'(?:[^;("]|\([^()]*\)|"(?:[^"\\]|\\.)*")+')


def _fold(header_line: str) -> str:
    """The value of ``Name: value`` folded after each top-level ``;`` (RFC 5322 section 2.2.3).

    A ``;`` inside a comment or a quoted string is not a separator (RFC 8601 section 2.2).
    """
    value = header_line.split(":", 1)[1].strip()
    parts = _RESINFO.findall(value)
    if ";".join(parts) != value:  # nested comments or unbalanced text: the careful way
        parts = _split_slowly(value)
    return ";\n\t".join(p.strip() for p in parts if p.strip())


def _split_slowly(value: str) -> list[str]:
    parts, depth, quoted, start = [], 0, False, 0
    for i, ch in enumerate(value):
        if ch == '"' and depth == 0 and (i == 0 or value[i - 1] != "\\"):
            quoted = not quoted
        elif not quoted and ch == "(":
            depth += 1
        elif not quoted and ch == ")" and depth:
            depth -= 1
        elif ch == ";" and depth == 0 and not quoted:
            parts.append(value[start:i])
            start = i + 1
    parts.append(value[start:])
    return parts


def _allowlisted(state: FilterState, message: Message) -> tuple[str, ...]:
    if not state.allowlists:
        return ()
    hits = []
    for address in message.from_addresses[:5]:
        for parsed in state.allowlists:
            hits.extend(f"{address.address} (line {e.line})" for e in parsed.matches(address.address))
    return tuple(hits)


async def _evaluate(state: FilterState, message: Message, headers: list[tuple[str, str]],
                    tx: Transaction, now: float | None) -> Outcome:
    from mailwarden.filter.backscatter import backscatter_evidence

    config = state.config
    removals = own_claims(headers, config.authserv_id)
    auth, evidence = await asyncio.gather(
        state.engine.authenticate(message, ip=tx.client_ip, helo=tx.helo, mail_from=tx.mail_from, now=now),
        backscatter_evidence(config, state.engine, message, tx, batv_key=state.batv_key, now=now),
    )
    decision = decide(config, tx, auth, from_values=message.get_all("From"), backscatter=evidence,
                      allowlisted=_allowlisted(state, message))
    edits = list(removals)
    if decision.guard != "error":
        edits.append(HeaderEdit(AUTH_RESULTS, 0, _fold(auth.authentication_results)))
    if decision.action == QUARANTINE:
        edits.append(HeaderEdit(QUARANTINE_HEADER, 0, f"{decision.guard}; {decision.reasons[-1][:200]}"))
    if decision.allowlisted:
        edits.append(HeaderEdit(ALLOWLIST_HEADER, 0, decision.allowlisted[0][:200]))
    return Outcome(decision, tuple(edits))


async def evaluate(state: FilterState, raw: bytes, headers: list[tuple[str, str]], tx: Transaction,
                   *, now: float | None = None, truncated: bool = False) -> Outcome:
    """The answer for one message within ``config.timeout``; never raises."""
    config = state.config
    started = time.perf_counter()
    try:
        if truncated:
            decision = Decision(ACCEPT, "oversize", (f"larger than max_message_bytes={config.max_message_bytes}: "
                                                     "passed unchecked",))
            outcome = Outcome(decision, tuple(own_claims(headers, config.authserv_id)))
        else:
            from mailwarden.message.model import parse_message

            message = parse_message(raw)
            outcome = await asyncio.wait_for(_evaluate(state, message, headers, tx, now), config.timeout)
    except MessageError as exc:
        outcome = Outcome(Decision(REJECT, "malformed", (str(exc),), "550", "5.6.0",
                                   "Message is malformed and cannot be checked"))
    except TimeoutError:
        outcome = _failed(config, headers, f"no answer within {config.timeout:g} s (DNS too slow?)")
    except Exception as exc:  # the fail-safe: an internal error must never lose or wrongly reject mail
        log.exception("internal error while checking %s", tx.queue_id or "a message")
        outcome = _failed(config, headers, f"internal error: {type(exc).__name__}")
    return Outcome(outcome.decision, outcome.edits, time.perf_counter() - started)


def _failed(config: FilterConfig, headers: list[tuple[str, str]], reason: str) -> Outcome:
    try:
        removals = tuple(own_claims(headers, config.authserv_id))
    except Exception:
        removals = ()
    return Outcome(fail_safe(config, reason), removals)


__all__ = ["FilterState", "HeaderEdit", "Outcome", "build_state", "evaluate", "own_claims"]
