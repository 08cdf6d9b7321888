"""Every Python example in docs/library.md runs, from the repository root, as written."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
LIBRARY = REPO / "docs" / "library.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", LIBRARY.read_text(), re.S)


def test_the_page_has_examples_and_the_readme_links_it():
    assert len(EXAMPLES) >= 6
    assert "docs/library.md" in (REPO / "README.md").read_text()


@pytest.mark.parametrize("index", range(len(EXAMPLES)))
def test_example_runs(index, monkeypatch, capsys):
    monkeypatch.chdir(REPO)
    code = compile(EXAMPLES[index], f"docs/library.md example {index + 1}", "exec")
    exec(code, {"__name__": f"docs_example_{index}"})  # our own documentation
    assert os.getcwd() == str(REPO)
