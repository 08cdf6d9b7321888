"""Catch-all probe: does the MX accept mail for an address that cannot exist?

One short SMTP dialogue (RFC 5321 section 3.3 and 4.1.1): greeting, ``EHLO``
(``HELO`` if EHLO is refused), ``MAIL FROM:<>`` (the null reverse-path of
section 4.5.5, so nothing can ever bounce back to anyone), ``RCPT TO`` a random
local part, ``RSET``, ``QUIT``.  ``DATA`` is never sent, so no message is ever
delivered.  Every read has a short timeout and the whole dialogue a deadline;
reply lines and reply sizes are bounded, so a hostile or broken server gets a
clear outcome (``timeout``, ``protocol-error``) and never a hang.

The RCPT reply decides (section 4.2.1): 2yz = the server accepts a random
address (``catch-all``); 5yz = it rejects unknown users (``rejects-unknown``);
4yz = a temporary failure, reported as ``greylisted`` when the text says so
(greylisting answers unknown senders with 450/451 once) and as
``temporary-failure`` otherwise: neither says anything about catch-all.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import time
from dataclasses import dataclass

from mailwarden.errors import InputError, MailwardenError

#: Outcomes of :func:`probe_catch_all`.
CATCH_ALL = "catch-all"
REJECTS_UNKNOWN = "rejects-unknown"
GREYLISTED = "greylisted"
TEMPORARY_FAILURE = "temporary-failure"
SENDER_REFUSED = "sender-refused"
UNREACHABLE = "unreachable"
TIMEOUT = "timeout"
PROTOCOL_ERROR = "protocol-error"

OUTCOMES = (CATCH_ALL, REJECTS_UNKNOWN, GREYLISTED, TEMPORARY_FAILURE, SENDER_REFUSED,
            UNREACHABLE, TIMEOUT, PROTOCOL_ERROR)

#: RFC 5321 section 4.5.3.1.5: a reply line is at most 512 octets; allow generous slack.
MAX_LINE = 2048
#: Lines of one multi-line reply (an EHLO reply lists extensions; 64 is plenty).
MAX_REPLY_LINES = 64

_GREYLIST = re.compile(r"gr[ae]y[- ]?list|try again later|please retry later", re.IGNORECASE)
_REPLY = re.compile(rb"([2-5][0-9][0-9])([ -])(.*)\Z", re.DOTALL)
_HOST_SAFE = re.compile(r"[A-Za-z0-9.-]+\Z")
_LOCAL_SAFE = re.compile(r"[A-Za-z0-9._+-]{1,64}\Z")


@dataclass(frozen=True, slots=True)
class SMTPExchange:
    """One command sent (``None`` for the greeting) and the reply it got."""

    command: str | None
    code: int | None
    reply: str


@dataclass(frozen=True, slots=True)
class CatchAllResult:
    """What the MX said about a random, non-existent recipient."""

    host: str
    address: str
    port: int
    probe_recipient: str
    outcome: str
    rcpt_code: int | None
    rcpt_reply: str | None
    detail: str
    transcript: tuple[SMTPExchange, ...]
    elapsed: float

    @property
    def is_catch_all(self) -> bool:
        return self.outcome == CATCH_ALL

    @property
    def conclusive(self) -> bool:
        return self.outcome in (CATCH_ALL, REJECTS_UNKNOWN)


class _ProbeAbort(MailwardenError):
    """Internal: stop the dialogue with this outcome."""

    def __init__(self, outcome: str, detail: str) -> None:
        super().__init__(detail)
        self.outcome = outcome
        self.detail = detail


def random_local_part() -> str:
    """A local part no real mailbox has: ``mw-probe-`` plus 80 random bits."""
    return "mw-probe-" + secrets.token_hex(10)


class _Dialogue:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, timeout: float) -> None:
        self.reader = reader
        self.writer = writer
        self.timeout = timeout
        self.transcript: list[SMTPExchange] = []

    async def _line(self) -> bytes:
        try:
            line = await asyncio.wait_for(self.reader.readuntil(b"\n"), self.timeout)
        except TimeoutError:
            raise _ProbeAbort(TIMEOUT, f"no reply within {self.timeout:g} s") from None
        except asyncio.IncompleteReadError:
            raise _ProbeAbort(PROTOCOL_ERROR, "the server closed the connection") from None
        except asyncio.LimitOverrunError:
            raise _ProbeAbort(PROTOCOL_ERROR, f"reply line longer than {MAX_LINE} octets") from None
        except (ConnectionError, OSError) as exc:
            raise _ProbeAbort(PROTOCOL_ERROR, f"connection lost: {exc}") from None
        return line.rstrip(b"\r\n")

    async def reply(self, command: str | None) -> tuple[int, str]:
        """Read one (possibly multi-line) reply, RFC 5321 section 4.2.1."""
        texts: list[str] = []
        for _ in range(MAX_REPLY_LINES):
            line = await self._line()
            m = _REPLY.match(line)
            if m is None:
                raise _ProbeAbort(PROTOCOL_ERROR, f"not an SMTP reply: {line[:80].decode('ascii', 'replace')!r}")
            code = int(m.group(1))
            texts.append(m.group(3).decode("utf-8", "replace").strip())
            if m.group(2) == b" ":
                text = " ".join(t for t in texts if t)
                self.transcript.append(SMTPExchange(command, code, f"{code} {text}".rstrip()))
                return code, text
        raise _ProbeAbort(PROTOCOL_ERROR, f"reply of more than {MAX_REPLY_LINES} lines")

    async def command(self, line: str) -> tuple[int, str]:
        try:
            self.writer.write(line.encode("ascii") + b"\r\n")
            await asyncio.wait_for(self.writer.drain(), self.timeout)
        except TimeoutError:
            raise _ProbeAbort(TIMEOUT, f"could not send {line.split()[0]} within {self.timeout:g} s") from None
        except (ConnectionError, OSError) as exc:
            raise _ProbeAbort(PROTOCOL_ERROR, f"connection lost: {exc}") from None
        return await self.reply(line)


async def probe_catch_all(
    address: str,
    domain: str,
    *,
    host: str | None = None,
    port: int = 25,
    helo: str = "mailwarden.localhost",
    timeout: float = 8.0,
    deadline: float = 30.0,
    local_part: str | None = None,
) -> CatchAllResult:
    """Ask the MX at ``address`` whether it accepts ``<random>@domain``.

    ``address`` is the IP to connect to (already resolved from the MX), ``host``
    the MX name for the report.  Never sends DATA (RFC 5321 section 4.1.1.4).
    """
    if not _HOST_SAFE.match(domain) or not _HOST_SAFE.match(helo):
        raise InputError(f"cannot probe {domain!r}: not a plain domain name")
    local = local_part if local_part is not None else random_local_part()
    if not _LOCAL_SAFE.match(local):
        raise InputError(f"probe local part {local!r} is not a plain local part")
    recipient = f"{local}@{domain}"
    started = time.monotonic()
    dialogue: _Dialogue | None = None
    outcome, detail, rcpt_code, rcpt_reply = PROTOCOL_ERROR, "", None, None

    async def run() -> tuple[str, str, int | None, str | None]:
        nonlocal dialogue
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(address, port, limit=MAX_LINE), timeout)
        except TimeoutError:
            return UNREACHABLE, f"no TCP connection to {address}:{port} within {timeout:g} s", None, None
        except OSError as exc:
            return UNREACHABLE, f"cannot connect to {address}:{port}: {exc.strerror or exc}", None, None
        dialogue = _Dialogue(reader, writer, timeout)
        code, text = await dialogue.reply(None)
        if code // 100 != 2:
            kind = TEMPORARY_FAILURE if code // 100 == 4 else PROTOCOL_ERROR
            await _quit(dialogue)
            return kind, f"the server refused the session: {code} {text}", None, None
        code, text = await dialogue.command(f"EHLO {helo}")
        if code // 100 != 2:
            code, text = await dialogue.command(f"HELO {helo}")
            if code // 100 != 2:
                await _quit(dialogue)
                kind = TEMPORARY_FAILURE if code // 100 == 4 else SENDER_REFUSED
                return kind, f"the server refused our greeting: {code} {text}", None, None
        code, text = await dialogue.command("MAIL FROM:<>")
        if code // 100 != 2:
            await _quit(dialogue)
            kind = TEMPORARY_FAILURE if code // 100 == 4 else SENDER_REFUSED
            return kind, f"the server refused the null sender <> (RFC 5321 section 4.5.5 requires it): {code} {text}", None, None
        code, text = await dialogue.command(f"RCPT TO:<{recipient}>")
        reply = f"{code} {text}".rstrip()
        kind, why = _classify(code, reply, recipient)
        await dialogue.command("RSET")
        await _quit(dialogue)
        return kind, why, code, reply

    try:
        outcome, detail, rcpt_code, rcpt_reply = await asyncio.wait_for(run(), deadline)
    except _ProbeAbort as exc:
        outcome, detail = exc.outcome, exc.detail
        if dialogue is not None:
            rcpt_code, rcpt_reply = _rcpt_from(dialogue.transcript)
            if rcpt_code is not None and outcome in (TIMEOUT, PROTOCOL_ERROR):
                # The verdict was already given; only RSET/QUIT went wrong.
                outcome, detail = _classify(rcpt_code, rcpt_reply or "", recipient)
    except TimeoutError:
        outcome, detail = TIMEOUT, f"the dialogue took longer than {deadline:g} s"
    finally:
        if dialogue is not None:
            dialogue.writer.close()
            with contextlib.suppress(asyncio.TimeoutError, OSError):
                await asyncio.wait_for(dialogue.writer.wait_closed(), 1.0)
    return CatchAllResult(
        host=host or address, address=address, port=port, probe_recipient=recipient,
        outcome=outcome, rcpt_code=rcpt_code, rcpt_reply=rcpt_reply, detail=detail,
        transcript=tuple(dialogue.transcript) if dialogue else (), elapsed=time.monotonic() - started,
    )


def _rcpt_from(transcript: list[SMTPExchange]) -> tuple[int | None, str | None]:
    for step in transcript:
        if step.command and step.command.startswith("RCPT"):
            return step.code, step.reply
    return None, None


def _classify(code: int, reply: str, recipient: str) -> tuple[str, str]:
    """Outcome of the RCPT reply (RFC 5321 section 4.2.1 reply classes)."""
    if code // 100 == 2:
        return CATCH_ALL, f"the server accepted the non-existent address {recipient}: {reply}"
    if code // 100 == 5:
        return REJECTS_UNKNOWN, f"the server rejects unknown addresses: {reply}"
    if _GREYLIST.search(reply):
        return GREYLISTED, (f"the server answered with a temporary failure, most likely greylisting; "
                            f"run the probe again in a few minutes: {reply}")
    return TEMPORARY_FAILURE, f"temporary failure, no conclusion: {reply}"


async def _quit(dialogue: _Dialogue) -> None:
    """Send QUIT; a server that hangs up first is fine (RFC 5321 section 4.1.1.10)."""
    with contextlib.suppress(_ProbeAbort):
        await dialogue.command("QUIT")
