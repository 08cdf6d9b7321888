"""Small contract points of SPEC section 3 through the CLI (issue 15 point 9)."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("command", [["diagnose", "--me", "a@example.com"], ["check"], ["bounce"],
                                     ["allowlist", "--me", "a@example.com"], ["headers"], ["dkim", "verify"],
                                     ["arc", "verify"]])
def test_missing_file_says_pass_a_file_or_dash(cli, command):
    proc = cli(*command)
    assert proc.returncode == 2
    assert b"pass a file, or - for standard input" in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_dash_reads_standard_input(cli):
    message = b"From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nbody\r\n"
    proc = cli("headers", "-", "--json", input=message)
    assert proc.returncode == 0, proc.stderr
    assert b"a@example.com" in proc.stdout
