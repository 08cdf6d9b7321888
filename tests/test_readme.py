"""The README's two set-up commands stay true, and .ci/run calls the test command."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text()


def indented_commands() -> list[str]:
    return [line[4:] for line in README.splitlines() if line.startswith("    ") and line.strip()]


def test_readme_starts_with_the_two_setup_commands():
    first, second = indented_commands()[:2]
    assert first.startswith("pip install . && mailwarden diagnose examples/")
    assert second == "bash scripts/test.sh"


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text()
    extracted = subprocess.run(
        ["sed", "-n", r"s/^    \(bash scripts\/test.sh.*\)$/\1/p", str(REPO / "README.md")],
        capture_output=True, text=True, check=True,
    ).stdout.splitlines()[0]
    assert extracted == indented_commands()[1]
    assert 'eval "$test_command"' in ci


def test_first_command_diagnoses_the_bundled_example(cli):
    first = indented_commands()[0]
    args = shlex.split(first.split("&&", 1)[1])
    assert args[0] == "mailwarden"
    for arg in args:
        if arg.startswith("examples/"):
            assert (REPO / arg).exists(), arg
    result = cli(*[str(REPO / a) if a.startswith("examples/") else a for a in args[1:]], "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["verdict"] == "spoofed"
    human = cli(*[str(REPO / a) if a.startswith("examples/") else a for a in args[1:]])
    assert human.returncode == 0
    assert re.search(r"forged|not sent", human.stdout.decode(), re.I)
