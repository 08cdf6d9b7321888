"""Input that is not an e-mail message (issue 15 point 6): exit 2 with one plain line, as allowlist does."""

from __future__ import annotations

import os

import pytest

MESSAGE = "From: Alice <alice@example.com>\r\nTo: bob@example.org\r\nSubject: hi\r\n\r\nbody\r\n"
COMMANDS = [["diagnose", "--me", "alice@example.com"], ["check"], ["bounce"], ["headers"], ["dkim", "verify"],
            ["arc", "verify"]]


def _run(cli, tmp_path, data: bytes, command):
    path = tmp_path / "input"
    path.write_bytes(data)
    snap = tmp_path / "dns.json"
    snap.write_text("{}")
    proc = cli(*command, str(path), "--dns", str(snap))
    lines = proc.stderr.decode().strip().splitlines()
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert len(lines) == 1 and "Traceback" not in lines[0]
    return lines[0]


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_file_says_utf16(cli, tmp_path, command, encoding):
    line = _run(cli, tmp_path, MESSAGE.encode(encoding), command)
    assert "UTF-16" in line and "does not look like an e-mail message" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_binary_garbage(cli, tmp_path, command):
    data = bytes(range(256)) * 4 + os.urandom(2048)
    line = _run(cli, tmp_path, data, command)
    assert "does not look like an e-mail message" in line


@pytest.mark.parametrize("command", COMMANDS)
def test_plain_text_that_is_no_message(cli, tmp_path, command):
    data = b"Dear support,\nI keep getting spam from myself. Please help.\n"
    line = _run(cli, tmp_path, data, command)
    assert "does not look like an e-mail message" in line and "None" not in line


def test_a_pdf_is_binary(cli, tmp_path):
    data = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00\x00\x01\x02\x03\x04\x05\x06" * 50
    assert "does not look like" in _run(cli, tmp_path, data, ["diagnose", "--me", "a@example.com"])
