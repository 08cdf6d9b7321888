"""The shared audit example cases, in-process (same checks as ../shared/tools/audit_cases.py)."""

from __future__ import annotations

import asyncio
import importlib.util
import json

import pytest
from tests.conftest import shared_root

from mailwarden.audit.service import audit_domain
from mailwarden.dns.snapshot import SnapshotResolver

ROOT = shared_root() / "examples" / "audit"
# Without the examples folder one case remains, so that the `shared` fixture fails it in CI.
CASES = sorted(p.name for p in ROOT.iterdir() if (p / "case.json").is_file()) if ROOT.is_dir() else ["(missing)"]


def _scorer():
    spec = importlib.util.spec_from_file_location("audit_cases", shared_root() / "tools" / "audit_cases.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _args(args: list[str]) -> dict:
    selectors = tuple(args[i + 1] for i, a in enumerate(args) if a == "--selector")
    return {"selectors": selectors, "no_mail": "--no-mail" in args}


@pytest.mark.parametrize("case", CASES)
def test_example_case(shared, case):
    case_dir = ROOT / case
    spec = json.loads((case_dir / "case.json").read_text())
    resolver = SnapshotResolver.from_file(case_dir / "dns.json")
    report = asyncio.run(audit_domain(resolver, spec["domain"], **_args(spec.get("args", []))))
    problems = _scorer().check(spec["expect"], report.to_json())
    assert problems == [], problems


def test_every_finding_is_complete(shared):
    """Every finding of every case has a known severity, a one-sentence message and a concrete fix."""
    for case in CASES:
        spec = json.loads((ROOT / case / "case.json").read_text())
        resolver = SnapshotResolver.from_file(ROOT / case / "dns.json")
        report = asyncio.run(audit_domain(resolver, spec["domain"], **_args(spec.get("args", []))))
        assert report.grade in "ABCDF"
        for f in report.findings:
            assert f.severity in ("critical", "warning", "info")
            assert f.message.endswith(".") and len(f.message) < 260, f
            assert f.fix and len(f.fix) > 10, f
        assert report.rollout
