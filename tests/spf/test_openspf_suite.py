"""The OpenSPF RFC 7208 test suite (203 tests), one pytest case per test.

The ``zonedata`` of each scenario becomes a :class:`SnapshotResolver` with the
conversion rules of ``../shared/tools/conformance.py`` (``openspf_snapshot``):
SPF-type records are served as TXT only for names without TXT records,
``TXT: NONE`` means no TXT record, a bare ``TIMEOUT`` makes every type the
name has no record of time out, MX ``[pref, host]`` becomes ``"pref host"``.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest
import yaml

from mailwarden.cache import TTLCache
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.spf import evaluate_spf

SUITE = "spf-openspf-suite/rfc7208-tests.yml"
TIMEOUT_TYPES = ("TXT", "A", "AAAA", "MX", "PTR")
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _suite_path() -> Path:
    root = Path(os.environ.get("MAILWARDEN_CORPORA", Path(__file__).resolve().parents[3] / "shared" / "corpora"))
    return root / SUITE


def openspf_snapshot(zonedata: dict) -> dict:
    """OpenSPF zonedata -> SPEC section 4 snapshot (same rules as the conformance scorer)."""
    snap: dict = {}
    for name, rrs in zonedata.items():
        has_txt = any(isinstance(rr, dict) and "TXT" in rr for rr in rrs)
        entry: dict = {}
        for rr in rrs:
            if not isinstance(rr, dict):
                continue
            for rtype, value in rr.items():
                if rtype == "SPF":
                    if has_txt:
                        continue
                    rtype = "TXT"
                if value == "TIMEOUT":
                    entry[rtype] = "TIMEOUT"
                    continue
                records = entry.setdefault(rtype, [])
                if value != "NONE" and isinstance(records, list):
                    if rtype == "MX":
                        records.append(f"{value[0]} {value[1] or '.'}")
                    else:
                        records.append([str(s) for s in value] if isinstance(value, list) else str(value))
        if "TIMEOUT" in rrs:
            for rtype in TIMEOUT_TYPES:
                if not entry.get(rtype):
                    entry[rtype] = "TIMEOUT"
        snap[str(name)] = {t: v for t, v in entry.items() if v != []}
    return snap


def _load() -> list:
    path = _suite_path()
    if not path.is_file():
        return [pytest.param(None, None, id="corpus-missing")]
    params = []
    with path.open("rb") as fh:
        for scenario in yaml.load_all(fh, Loader=Loader):
            zone = openspf_snapshot(scenario["zonedata"])
            for test_id, test in scenario["tests"].items():
                params.append(pytest.param(zone, test, id=f"{scenario['description']}/{test_id}"))
    return params


CASES = _load()


def _expected(test: dict) -> tuple[list[str], str | None]:
    accepted = test["result"] if isinstance(test["result"], list) else [test["result"]]
    explanation = test.get("explanation")
    return accepted, (None if explanation == "DEFAULT" else explanation)


@pytest.mark.parametrize(("zone", "test"), CASES)
def test_openspf(corpora, zone, test):
    accepted, explanation = _expected(test)
    resolver = SnapshotResolver.from_dict(zone)
    result = asyncio.run(evaluate_spf(resolver, str(test["host"]), str(test["mailfrom"]), str(test["helo"])))
    assert result.result in accepted, result.problem
    if explanation is not None:
        assert result.explanation == explanation
    if test.get("explanation") == "DEFAULT":
        assert result.result == "fail" and result.explanation  # our own default text


def test_suite_is_complete(corpora):
    assert len(CASES) == 203


def test_suite_twice_through_one_cache(corpora):
    """A shared TTLCache must not change any result (each scenario has its own zone)."""
    by_zone: dict[int, tuple[dict, list[dict]]] = {}
    for case in CASES:
        zone, test = case.values
        by_zone.setdefault(id(zone), (zone, []))[1].append(test)

    async def run() -> list[str]:
        failures = []
        for zone, tests in by_zone.values():
            cache = TTLCache()
            resolver = SnapshotResolver.from_dict(zone)
            for _ in range(2):
                for test in tests:
                    accepted, explanation = _expected(test)
                    got = await evaluate_spf(resolver, str(test["host"]), str(test["mailfrom"]),
                                             str(test["helo"]), cache=cache)
                    if got.result not in accepted or (explanation is not None and got.explanation != explanation):
                        failures.append(f"{test}: {got.result} {got.explanation}")
        return failures

    assert asyncio.run(run()) == []
