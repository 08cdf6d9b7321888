"""The diagnosis shown in the README is the one the command really prints."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_readme_shows_the_real_human_diagnosis(cli):
    readme = (REPO / "README.md").read_text()
    first = next(line[4:] for line in readme.splitlines() if line.startswith("    pip install"))
    args = shlex.split(first.split("&&", 1)[1])[1:]
    proc = cli(*[str(REPO / a) if a.startswith("examples/") else a for a in args])
    assert proc.returncode == 0, proc.stderr
    shown = re.search(r"```text\n(.*?)\n```", readme, re.S)
    assert shown, "the README has no ```text block with the diagnosis"
    assert shown.group(1).strip() == proc.stdout.decode().strip()
