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


def _readme_option_table() -> list[tuple[list[str], list[list[str]]]]:
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    table = readme[readme.index("The shared options (SPEC section 3)"):]
    rows = []
    for line in table.splitlines()[4:]:
        if not line.startswith("| `"):
            break
        options_cell, commands_cell = line.strip("|").split("|")[:2]
        options = re.findall(r"`(--[a-z-]+)", options_cell)
        commands = [c.split() for c in re.findall(r"`([a-z ]+)`", commands_cell)]
        rows.append((options, commands))
    return rows


def test_readme_promises_only_options_each_command_has(cli):
    """Issue 15 point 9: every option the README promises on a command works there."""
    rows = _readme_option_table()
    assert len(rows) >= 4
    seen = set()
    for options, commands in rows:
        for command in commands:
            seen.add(" ".join(command))
            helptext = cli(*command, "--help").stdout.decode()
            for option in options:
                assert option in helptext, f"README promises {option} on {' '.join(command)}"
    assert {"diagnose", "audit", "check", "bounce", "allowlist"} <= seen


def test_check_with_a_resolver_that_answers_nothing_is_exit_3(cli, shared):
    """SPEC section 3: nothing concluded because DNS did not answer -> exit 3, one line naming what."""
    from tests.support.nsd import free_port

    message = shared / "examples" / "diagnose" / "spoofed-botnet-envelope-random" / "message.eml"
    proc = cli("check", str(message), "--nameserver", f"127.0.0.1:{free_port()}", "--dns-timeout", "0.5",
               "--json")
    assert proc.returncode == 3 and proc.stdout == b""
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "_dmarc.example.com TXT" in lines[0] and "retrying later" in lines[0]
