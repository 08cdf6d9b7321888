"""Every command that reads a message answers hostile input with a result (exit 0) or
one clear error line (exit 2): never a traceback, a hang or an internal fault."""

from __future__ import annotations

import os

import pytest

HOSTILE = {
    "random-bytes": os.urandom(4096),
    "nul-bytes": b"From: a@b.example\x00\nSubject: \x00\x00\n\n\x00body",
    "invalid-utf8": b"From: \xff\xfe <a@\xc3\x28.example>\nSubject: \xed\xa0\x80\n\n\xff",
    "long-header-line": b"From: a@b.example\nSubject: " + b"x" * 1_000_000 + b"\n\nbody",
    "many-received": b"".join(b"Received: from h%d by m%d; Mon, 9 Nov 2026 21:42:07 +0000\n" % (i, i)
                              for i in range(10_000)) + b"From: a@b.example\n\nbody",
    "nested-mime": (b"From: MAILER-DAEMON@b.example\nContent-Type: multipart/report; boundary=b0\n\n"
                    + b"".join(b"--b%d\nContent-Type: message/rfc822\n\nFrom: x@y.example\n"
                               b"Content-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1) for i in range(100))),
    "broken-dkim": (b"DKIM-Signature: v=1; a=rsa-sha256; d=b.example; s=s; h=from; bh=!!!; b=%%%\n"
                    b"ARC-Seal: i=1; a=rsa-sha256; cv=none; d=b.example; s=s; b=???\n"
                    b"Authentication-Results: ;;;; (((\nFrom: a@b.example(.c.example\n\nbody"),
    "headers-only-garbage": b"::::\n: :\nFrom:\n",
}

COMMANDS = {
    "headers": ["headers", "{msg}"],
    "check": ["check", "{msg}", "--ip", "192.0.2.1", "--helo", "h.example", "--mail-from", "a@b.example"],
    "diagnose": ["diagnose", "{msg}", "--me", "a@b.example"],
    "bounce": ["bounce", "{msg}", "--me", "a@b.example"],
    "dkim-verify": ["dkim", "verify", "{msg}"],
    "arc-verify": ["arc", "verify", "{msg}"],
}


@pytest.mark.slow
@pytest.mark.parametrize("command", sorted(COMMANDS))
@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_message(cli, tmp_path, command, name):
    msg = tmp_path / "m.eml"
    msg.write_bytes(HOSTILE[name])
    snap = tmp_path / "dns.json"
    snap.write_text("{}")
    args = [str(msg) if a == "{msg}" else a for a in COMMANDS[command]]
    result = cli(*args, "--dns", str(snap), "--json", timeout=30)
    stderr = result.stderr.decode("utf-8", "replace")
    assert "Traceback" not in stderr
    assert result.returncode in (0, 2), stderr[-500:]
    if result.returncode == 2:
        assert len(stderr.strip().splitlines()) == 1, stderr
    else:
        import json

        assert isinstance(json.loads(result.stdout), dict)
