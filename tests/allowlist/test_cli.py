"""`mailwarden allowlist` as a user runs it: JSON contract, human output, exit codes, shared examples."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .test_spamassassin import USER_PREFS


def _json(proc):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def test_json_contract(tmp_path, cli):
    path = tmp_path / "user_prefs"
    path.write_text(USER_PREFS)
    out = _json(cli("allowlist", str(path), "--me", "alice@example.com", "--domain", "example.com", "--json"))
    assert out["format"] == "spamassassin"
    for f in out["findings"]:
        assert isinstance(f["line"], int)
        assert {"entry", "id", "severity", "fix"} <= set(f)
        assert f["severity"] in ("critical", "warning", "info")
    assert (3, "self-address") in {(f["line"], f["id"]) for f in out["findings"]}
    assert {p["line"] for p in out["unparsed"]} == {13, 16, 17, 21}


def test_human_output_explains_then_lists_changes(tmp_path, cli):
    path = tmp_path / "local.cf"
    path.write_text("whitelist_from alice@example.com\nwhitelist_from friend@other.example\n")
    proc = cli("allowlist", str(path), "--me", "alice@example.com")
    assert proc.returncode == 0
    text = proc.stdout.decode()
    why = text.index("forged")
    assert "skips" in text[why : why + 300]
    assert text.index("line 1:") > why
    assert "Replace line 1 with the line below" in text and "\n        whitelist_auth alice@example.com\n" in text
    assert "Replace line 2 with the line below" in text and "\n        whitelist_auth friend@other.example\n" in text


def test_explicit_format_and_stdin(cli):
    proc = cli(
        "allowlist",
        "-",
        "--domain",
        "example.com",
        "--format",
        "postfix",
        "--json",
        input=b"example.com OK\n",
    )
    out = _json(proc)
    assert out["format"] == "postfix"
    assert [(f["line"], f["id"]) for f in out["findings"]] == [(1, "self-domain")]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["allowlist", "/nonexistent/list.txt", "--me", "a@example.com"], b"cannot read"),
        (["allowlist", "-", "--json"], b"--me"),
        (["allowlist", "-", "--me", "not-an-address"], b"not an e-mail address"),
        (["allowlist", "-", "--domain", "bad domain!"], b"not a domain"),
        (["allowlist", "-", "--me", "a@example.com", "--format", "exim"], b"exim"),
    ],
)
def test_usage_errors_exit_2_without_traceback(cli, args, needle):
    proc = cli(*args, input=b"alice@example.com\n")
    assert proc.returncode == 2
    assert needle in proc.stderr
    assert b"Traceback" not in proc.stderr


def test_directory_is_an_input_error(tmp_path, cli):
    proc = cli("allowlist", str(tmp_path), "--me", "a@example.com")
    assert proc.returncode == 2 and b"directory" in proc.stderr


def test_shared_examples_pass_the_scorer(shared: Path):
    proc = subprocess.run(
        [
            sys.executable,
            str(shared / "tools" / "allowlist_cases.py"),
            "--root",
            str(shared / "examples" / "allowlist"),
            "--mailwarden",
            f"{sys.executable} -m mailwarden",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.stdout.strip().endswith("0 failed"), proc.stdout
