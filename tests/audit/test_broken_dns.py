"""`mailwarden audit` on broken DNS (SPEC sections 3 and 7, issue 15 point 4).

A domain that does not exist is a spelling question (exit 2); DNS that does not
answer, or a resolver that denies everything, is "cannot conclude" (exit 3):
one stderr line naming what did not answer, no grade, no records to publish.
"""

from __future__ import annotations

import json
import time

import pytest
from tests.support.captive_dns import CaptiveResolver
from tests.support.nsd import free_port


def _snapshot(tmp_path, zone: dict) -> str:
    path = tmp_path / "dns.json"
    path.write_text(json.dumps(zone))
    return str(path)


def _one_line(proc) -> str:
    lines = proc.stderr.decode().strip().splitlines()
    assert len(lines) == 1, lines
    assert b"Traceback" not in proc.stderr
    return lines[0]


@pytest.mark.parametrize("as_json", [False, True])
def test_missing_domain_is_exit_2_check_the_spelling(cli, tmp_path, as_json):
    snap = _snapshot(tmp_path, {"example.com": {"TXT": ["v=spf1 -all"]}})
    proc = cli("audit", "exmaple.com", "--dns", snap, *(["--json"] if as_json else []))
    assert proc.returncode == 2
    assert proc.stdout == b""
    line = _one_line(proc)
    assert "exmaple.com does not exist \u2014 check the spelling" in line


@pytest.mark.parametrize("failure", ["TIMEOUT", "SERVFAIL"])
def test_dns_failure_is_exit_3_with_no_grade_and_no_records(cli, tmp_path, failure):
    zone = {"gmail.com": {"TXT": failure, "MX": failure, "A": failure, "AAAA": failure},
            "_dmarc.gmail.com": {"TXT": failure}}
    for as_json in ([], ["--json"]):
        proc = cli("audit", "gmail.com", "--dns", _snapshot(tmp_path, zone), *as_json)
        assert proc.returncode == 3
        assert proc.stdout == b""  # no grade, no "publish v=spf1 -all"
        line = _one_line(proc)
        assert "gmail.com TXT" in line and failure in line and "retrying later" in line


def test_one_failed_lookup_among_answers_is_still_exit_3(cli, tmp_path):
    zone = {"shop.test": {"MX": ["10 mx.shop.test"], "TXT": ["v=spf1 mx -all"]}, "mx.shop.test": {"A": ["192.0.2.1"]},
            "_dmarc.shop.test": {"TXT": "TIMEOUT"}}
    proc = cli("audit", "shop.test", "--dns", _snapshot(tmp_path, zone), "--selector", "s1")
    assert proc.returncode == 3 and proc.stdout == b""
    assert "_dmarc.shop.test TXT (TIMEOUT)" in _one_line(proc)


def test_other_selectors_failing_do_not_block_a_found_key(cli, tmp_path, shared):
    zone = json.loads((shared / "examples/audit/01-northwind-near-perfect/dns.json").read_text())
    zone["google._domainkey.northwind-traders.example"] = {"TXT": "SERVFAIL"}
    proc = cli("audit", "northwind-traders.example", "--dns", _snapshot(tmp_path, zone), "--selector", "s1",
               "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["grade"] in "AB"


def test_unreachable_resolver_is_exit_3_within_the_deadline(cli):
    port = free_port()  # nothing listens there
    started = time.monotonic()
    proc = cli("audit", "example.com", "--nameserver", f"127.0.0.1:{port}", "--dns-timeout", "0.3")
    assert time.monotonic() - started < 20
    assert proc.returncode == 3 and proc.stdout == b""
    assert "example.com" in _one_line(proc)


def test_captive_resolver_denying_everything_is_not_grade_f(cli):
    with CaptiveResolver() as server:
        proc = cli("audit", "example.com", "--nameserver", server.address, "--dns-timeout", "1")
    assert server.questions > 0
    assert proc.returncode == 3, proc.stderr
    assert proc.stdout == b""
    line = _one_line(proc)
    assert "captive portal" in line and "grade" not in proc.stdout.decode()


@pytest.mark.nsd
def test_missing_domain_over_real_nsd_is_exit_2(cli, nsd_factory):
    server = nsd_factory({"real.test": '@ TXT "v=spf1 -all"', "arpa": "@ NS ns.arpa."})
    proc = cli("audit", "nosuch.real.test", "--nameserver", server.address, "--dns-timeout", "2")
    assert proc.returncode == 2, proc.stderr
    assert "does not exist" in _one_line(proc)
