"""The command group: help, version, exit statuses, fast start-up."""

from __future__ import annotations

import subprocess
import sys

import pytest

from mailwarden import __version__
from mailwarden.cli.main import COMMANDS


def test_help_lists_commands(cli):
    result = cli("--help")
    assert result.returncode == 0
    assert b"diagnose" in result.stdout or b"dns" in result.stdout


def test_version(cli):
    result = cli("--version")
    assert result.returncode == 0 and __version__.encode() in result.stdout


def test_help_imports_no_heavy_modules():
    code = (
        "import sys; from mailwarden.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('cryptography', 'sqlalchemy', 'dns.asyncresolver', 'rich', 'yaml') if m in sys.modules]\n"
        "print('HEAVY=' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "HEAVY="


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_registered_command_has_help(cli, name):
    from mailwarden.cli.main import _module_exists

    if not _module_exists(COMMANDS[name][0]):
        pytest.fail(f"command {name} is registered but {COMMANDS[name][0]} does not exist")
    result = cli(name, "--help")
    assert result.returncode == 0, result.stderr
    assert b"Usage" in result.stdout


def test_usage_error_is_exit_2_without_traceback(cli):
    result = cli("no-such-command")
    assert result.returncode == 2
    assert b"Traceback" not in result.stderr


def test_invalid_input_is_exit_2_one_line(cli, tmp_path):
    result = cli("dns", "query", "example.com", "--dns", str(tmp_path / "missing.json"))
    assert result.returncode == 2
    lines = result.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "cannot read DNS snapshot" in lines[0]


def test_dns_options_cannot_be_mixed(cli, tmp_path):
    snap = tmp_path / "s.json"
    snap.write_text("{}")
    result = cli("dns", "query", "x.example", "--dns", str(snap), "--nameserver", "127.0.0.1")
    assert result.returncode == 2 and b"cannot be combined" in result.stderr


def test_internal_fault_is_exit_1(monkeypatch, capsys):
    from mailwarden.cli import main as main_module

    def boom(*args, **kwargs):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(main_module.cli, "main", boom)
    with pytest.raises(SystemExit) as exc:
        main_module.main([])
    assert exc.value.code == 1
    assert "internal error: RuntimeError: kaboom" in capsys.readouterr().err


def test_json_output_is_one_object(cli, tmp_path):
    snap = tmp_path / "s.json"
    snap.write_text('{"x.example": {"TXT": ["hello"]}}')
    result = cli("dns", "query", "x.example", "--dns", str(snap), "--json")
    import json

    assert json.loads(result.stdout)["records"] == [["hello"]]


def test_headers_command_shows_the_received_chain(cli, tmp_path):
    import json

    msg = tmp_path / "m.eml"
    msg.write_bytes(
        b"Received: from c (c [192.0.2.9]) (Authenticated sender: bob@example.com) by s.example with ESMTPSA id 1; "
        b"Mon, 9 Nov 2026 21:42:05 +0000\nFrom: =?utf-8?Q?B=C3=B6b?= <bob@example.com>, eve@example.net\n"
        b"Authentication-Results: mx.example; spf=pass smtp.mailfrom=example.com\n"
    )
    out = json.loads(cli("headers", str(msg), "--json").stdout)
    assert [a["address"] for a in out["from"]] == ["bob@example.com", "eve@example.net"]
    assert out["from"][0]["display_name"] == "Böb"
    assert out["has_body"] is False
    assert out["received"][0]["authenticated"] and out["received"][0]["auth_user"] == "bob@example.com"
    assert out["authentication_results"][0] == {"authserv_id": "mx.example", "results": [{"method": "spf", "result": "pass"}]}
    human = cli("headers", str(msg))
    assert b"AUTHENTICATED as bob@example.com" in human.stdout


def test_unreadable_message_is_exit_2(cli, tmp_path):
    result = cli("headers", str(tmp_path))
    assert result.returncode == 2 and b"is a directory" in result.stderr
    empty = tmp_path / "empty.eml"
    empty.write_bytes(b"")
    result = cli("headers", str(empty))
    assert result.returncode == 2 and b"empty" in result.stderr
