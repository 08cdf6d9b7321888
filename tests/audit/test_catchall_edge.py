"""Catch-all probe edge cases against tiny in-test asyncio SMTP servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from mailwarden.audit import catchall
from mailwarden.errors import InputError

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, list[str]], Awaitable[None]]


async def _with_server(handler: Handler, **kw) -> tuple[catchall.CatchAllResult, list[str]]:
    seen: list[str] = []

    async def wrapped(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await handler(reader, writer, seen)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(wrapped, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        result = await catchall.probe_catch_all("127.0.0.1", "example.test", port=port, **kw)
    finally:
        server.close()
    return result, seen


def scripted(replies: dict[str, bytes], greeting: bytes = b"220 mx.example.test ESMTP\r\n") -> Handler:
    """A server answering each command verb with a fixed reply; records what it received."""

    async def handler(reader, writer, seen):
        writer.write(greeting)
        await writer.drain()
        while True:
            line = await reader.readline()
            if not line:
                return
            text = line.decode().strip()
            seen.append(text)
            verb = text.split()[0].split(":")[0].upper()
            writer.write(replies.get(verb, b"250 ok\r\n"))
            await writer.drain()
            if verb == "QUIT":
                return

    return handler


def run(handler: Handler, **kw):
    return asyncio.run(_with_server(handler, **kw))


def test_accepting_server_is_catch_all_and_never_gets_data():
    res, seen = run(scripted({"EHLO": b"250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n", "QUIT": b"221 bye\r\n"}))
    assert res.outcome == catchall.CATCH_ALL
    assert [s.split()[0].split(":")[0] for s in seen] == ["EHLO", "MAIL", "RCPT", "RSET", "QUIT"]
    assert seen[1] == "MAIL FROM:<>"
    assert seen[2].startswith("RCPT TO:<mw-probe-") and seen[2].endswith("@example.test>")
    assert not any(s.upper().startswith("DATA") for s in seen)
    assert res.transcript[1].reply == "250 mx PIPELINING 8BITMIME"


def test_rejecting_server():
    res, _ = run(scripted({"RCPT": b"550 5.1.1 <x@example.test>: Recipient address rejected: User unknown\r\n"}))
    assert res.outcome == catchall.REJECTS_UNKNOWN
    assert res.rcpt_code == 550


def test_temporary_failure_that_is_not_greylisting():
    res, _ = run(scripted({"RCPT": b"451 4.3.0 Temporary lookup failure\r\n"}))
    assert res.outcome == catchall.TEMPORARY_FAILURE
    assert not res.conclusive


def test_greylisting_text():
    res, _ = run(scripted({"RCPT": b"450-4.2.0 Recipient address rejected:\r\n450 4.2.0 Greylisted for 300 seconds\r\n"}))
    assert res.outcome == catchall.GREYLISTED
    assert res.rcpt_reply == "450 4.2.0 Recipient address rejected: 4.2.0 Greylisted for 300 seconds"


def test_ehlo_refused_falls_back_to_helo():
    res, seen = run(scripted({"EHLO": b"502 5.5.2 command not recognized\r\n"}))
    assert res.outcome == catchall.CATCH_ALL
    assert [s.split()[0] for s in seen[:2]] == ["EHLO", "HELO"]


def test_null_sender_refused():
    res, seen = run(scripted({"MAIL": b"553 5.1.8 null sender not accepted\r\n"}))
    assert res.outcome == catchall.SENDER_REFUSED
    assert not any(s.startswith("RCPT") for s in seen)


def test_421_greeting_is_temporary():
    res, _ = run(scripted({}, greeting=b"421 4.3.2 too busy, try later\r\n"))
    assert res.outcome == catchall.TEMPORARY_FAILURE
    assert "refused the session" in res.detail


def test_silent_server_times_out_quickly():
    async def silent(reader, writer, seen):
        await asyncio.sleep(10)

    started = time.monotonic()
    res, _ = run(silent, timeout=0.3)
    assert res.outcome == catchall.TIMEOUT
    assert time.monotonic() - started < 3


def test_slow_drip_server_hits_the_deadline():
    """A server that sends one continuation line every 0.1 s never ends its reply: the deadline stops it."""

    async def drip(reader, writer, seen):
        for _ in range(1000):
            writer.write(b"220-still here\r\n")
            await writer.drain()
            await asyncio.sleep(0.05)

    started = time.monotonic()
    res, _ = run(drip, timeout=1, deadline=1.0)
    assert res.outcome in (catchall.TIMEOUT, catchall.PROTOCOL_ERROR)
    assert time.monotonic() - started < 4


def test_endless_line_is_a_protocol_error_with_bounded_memory():
    async def flood(reader, writer, seen):
        chunk = b"A" * 65536
        for _ in range(200):  # 13 MB without a newline
            writer.write(chunk)
            await writer.drain()

    res, _ = run(flood, timeout=2)
    assert res.outcome == catchall.PROTOCOL_ERROR
    assert "longer than" in res.detail


def test_endless_multiline_reply_is_a_protocol_error():
    async def many(reader, writer, seen):
        writer.write(b"220-x\r\n" * 500 + b"220 x\r\n")
        await writer.drain()
        await reader.read()

    res, _ = run(many, timeout=2)
    assert res.outcome == catchall.PROTOCOL_ERROR
    assert "lines" in res.detail


def test_garbage_reply_is_a_protocol_error():
    res, _ = run(scripted({}, greeting=b"HTTP/1.1 400 Bad Request\r\n"))
    assert res.outcome == catchall.PROTOCOL_ERROR


def test_server_hanging_up_after_rcpt_keeps_the_verdict():
    async def rude(reader, writer, seen):
        writer.write(b"220 hi\r\n")
        for reply in (b"250 hi\r\n", b"250 ok\r\n", b"250 ok\r\n"):
            line = await reader.readline()
            seen.append(line.decode().strip())
            writer.write(reply)
            await writer.drain()
        await reader.readline()  # RSET: hang up without answering

    res, _seen = run(rude, timeout=1)
    assert res.outcome == catchall.CATCH_ALL
    assert res.rcpt_code == 250


@pytest.mark.parametrize("domain", ["example.test\r\nDATA", "exa mple.test", "<x>", ""])
def test_hostile_domain_is_refused_before_connecting(domain):
    with pytest.raises(InputError):
        asyncio.run(catchall.probe_catch_all("127.0.0.1", domain, port=9))


def test_hostile_local_part_is_refused():
    with pytest.raises(InputError):
        asyncio.run(catchall.probe_catch_all("127.0.0.1", "example.test", port=9, local_part="a>\r\nDATA"))
