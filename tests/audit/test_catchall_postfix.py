"""The catch-all probe against real Postfix instances on loopback (see conftest.py)."""

from __future__ import annotations

import asyncio
import re
import time

import pytest

from mailwarden.audit import catchall

pytestmark = pytest.mark.postfix


def _probe(port: int, domain: str, **kw) -> catchall.CatchAllResult:
    return asyncio.run(catchall.probe_catch_all("127.0.0.1", domain, port=port, timeout=5, **kw))


def _session_stats(instance, recipient_marker: str, seconds: float = 5.0) -> str:
    """Postfix's ``disconnect ... ehlo=1 mail=1 ...`` line of our session (it logs every command kind)."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        lines = instance.log_text().splitlines()
        # the disconnect line follows the NOQUEUE/connect lines of the session that carried the marker
        for i, line in enumerate(lines):
            if recipient_marker in line or (" connect from" in line and recipient_marker == "*"):
                for later in lines[i:]:
                    if "disconnect from" in later:
                        return later
        time.sleep(0.1)
    return ""


def test_catchall_instance_is_reported_catch_all(postfix_catchall):
    res = _probe(postfix_catchall.port, "catchall.test")
    assert res.outcome == catchall.CATCH_ALL, res
    assert res.is_catch_all and res.conclusive
    assert res.rcpt_code == 250
    assert res.probe_recipient.endswith("@catchall.test")
    assert re.fullmatch(r"mw-probe-[0-9a-f]{20}@catchall\.test", res.probe_recipient)
    commands = [step.command.split()[0] if step.command else None for step in res.transcript]
    assert commands == [None, "EHLO", "MAIL", "RCPT", "RSET", "QUIT"]
    assert not any(c == "DATA" for c in commands)


def test_catchall_instance_never_receives_data(postfix_catchall):
    """Postfix counts every command of a session in its disconnect line: no data=, no message queued."""
    before = postfix_catchall.log_text().count("disconnect from")
    res = _probe(postfix_catchall.port, "catchall.test")
    assert res.outcome == catchall.CATCH_ALL
    end = time.monotonic() + 5
    while postfix_catchall.log_text().count("disconnect from") <= before and time.monotonic() < end:
        time.sleep(0.1)
    last = [line for line in postfix_catchall.log_text().splitlines() if "disconnect from" in line][-1]
    assert "ehlo=1 mail=1 rcpt=1 rset=1 quit=1 commands=5" in last, last
    assert "data=" not in last
    assert not list((postfix_catchall.run / "mail").rglob("new/*")), "a message was delivered"


def test_strict_instance_rejects_unknown_user(postfix_strict):
    res = _probe(postfix_strict.port, "strict.test")
    assert res.outcome == catchall.REJECTS_UNKNOWN, res
    assert res.rcpt_code == 550
    assert "5.1.1" in (res.rcpt_reply or "")
    assert not res.is_catch_all and res.conclusive


def test_strict_instance_accepts_the_real_postmaster(postfix_strict):
    """Guard that the strict instance does accept existing users (so 550 above means 'unknown')."""
    res = _probe(postfix_strict.port, "strict.test", local_part="postmaster")
    assert res.outcome == catchall.CATCH_ALL
    assert res.rcpt_code == 250


def test_greylisting_is_reported_as_such(postfix_strict):
    res = _probe(postfix_strict.port, "grey.test")
    assert res.outcome == catchall.GREYLISTED, res
    assert res.rcpt_code == 450
    assert not res.conclusive
    assert "greylist" in res.detail.lower()


def test_nothing_listening_is_unreachable(postfix_strict):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    res = _probe(port, "strict.test")
    assert res.outcome == catchall.UNREACHABLE
    assert res.transcript == ()
