"""`mailwarden audit` end to end: CLI contract, catch-all through real Postfix, DNS through real NSD."""

from __future__ import annotations

import asyncio
import json

import pytest
from tests.conftest import shared_root

from mailwarden.audit.service import audit_domain
from mailwarden.dns.snapshot import SnapshotResolver

CASE = shared_root() / "examples" / "audit" / "02-contoso-include-sprawl" / "dns.json"


def test_cli_json_is_one_object_and_exit_zero(cli, shared):
    proc = cli("audit", "contoso-dental.example", "--dns", str(CASE), "--selector", "selector1", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    assert out["domain"] == "contoso-dental.example" and out["grade"] in "ABCDF"


def test_cli_fail_on(cli, shared):
    args = ("audit", "contoso-dental.example", "--dns", str(CASE), "--selector", "selector1", "--json")
    assert cli(*args, "--fail-on", "critical").returncode == 4
    assert cli(*args, "--fail-on", "warning").returncode == 4
    assert cli(*args, "--fail-on", "bogus").returncode == 2


def test_cli_fail_on_passes_for_a_clean_domain(cli, tmp_path):
    zone = {"parked.test": {"MX": ["0 ."], "TXT": ["v=spf1 -all"]},
            "_dmarc.parked.test": {"TXT": ["v=DMARC1; p=reject; sp=reject"]}}
    snap = tmp_path / "dns.json"
    snap.write_text(json.dumps(zone))
    assert cli("audit", "parked.test", "--no-mail", "--dns", str(snap), "--fail-on", "warning").returncode == 0


def test_cli_human_output_is_a_one_screen_todo_list(cli, shared):
    proc = cli("audit", "contoso-dental.example", "--dns", str(CASE), "--selector", "selector1")
    text = proc.stdout.decode()
    lines = text.splitlines()
    assert lines[0].startswith("contoso-dental.example: grade ")
    assert text.index("To do") < text.index("Records to publish:") < text.index("DMARC roll-out plan:")
    assert len(lines) <= 50


def test_cli_bad_domain_is_exit_2_one_line(cli):
    proc = cli("audit", "not a domain", "--dns", str(CASE))
    assert proc.returncode == 2
    assert len(proc.stderr.decode().strip().splitlines()) == 1
    assert b"Traceback" not in proc.stderr


# --- catch-all through the whole audit, against the real Postfix instances ---------------------

def _zone(domain: str) -> dict:
    return {domain: {"MX": [f"10 mx.{domain}"], "TXT": ["v=spf1 mx -all"]},
            f"mx.{domain}": {"A": ["127.0.0.1"]},
            f"_dmarc.{domain}": {"TXT": [f"v=DMARC1; p=reject; rua=mailto:d@{domain}"]}}


@pytest.mark.postfix
def test_audit_reports_catch_all_of_real_postfix(postfix_catchall):
    report = asyncio.run(audit_domain(SnapshotResolver.from_dict(_zone("catchall.test")), "catchall.test",
                                      probe_catch_all=True, smtp_port=postfix_catchall.port, smtp_timeout=5))
    assert "catch-all" in {f.id for f in report.findings}
    assert report.catch_all.outcome == "catch-all" and report.catch_all.host == "mx.catchall.test"


@pytest.mark.postfix
def test_audit_no_catch_all_on_strict_postfix(postfix_strict):
    report = asyncio.run(audit_domain(SnapshotResolver.from_dict(_zone("strict.test")), "strict.test",
                                      probe_catch_all=True, smtp_port=postfix_strict.port, smtp_timeout=5))
    assert "catch-all" not in {f.id for f in report.findings}
    assert report.catch_all.outcome == "rejects-unknown"


@pytest.mark.postfix
def test_audit_greylisting_is_inconclusive_not_catch_all(postfix_strict):
    report = asyncio.run(audit_domain(SnapshotResolver.from_dict(_zone("grey.test")), "grey.test",
                                      probe_catch_all=True, smtp_port=postfix_strict.port, smtp_timeout=5))
    found = {f.id for f in report.findings}
    assert "catch-all" not in found and "catch-all-inconclusive" in found


@pytest.mark.postfix
def test_cli_probe_catch_all(cli, postfix_catchall, tmp_path):
    snap = tmp_path / "dns.json"
    snap.write_text(json.dumps(_zone("catchall.test")))
    proc = cli("audit", "catchall.test", "--dns", str(snap), "--probe-catch-all",
               "--smtp-port", str(postfix_catchall.port), "--json")
    assert proc.returncode == 0, proc.stderr
    assert "catch-all" in {f["id"] for f in json.loads(proc.stdout)["findings"]}


def test_null_mx_skips_the_probe():
    zone = {"nomail.test": {"MX": ["0 ."], "TXT": ["v=spf1 -all"]}}
    report = asyncio.run(audit_domain(SnapshotResolver.from_dict(zone), "nomail.test", probe_catch_all=True,
                                      smtp_port=9))
    assert report.catch_all is None and any("null MX" in n for n in report.notes)


# --- the audit over real DNS: NSD on loopback ------------------------------------------------------

NSD_ZONE = "\n".join([
    "@ MX 10 mx.audit.test.",
    "mx A 127.0.0.1",
    '@ TXT "v=spf1 mx include:_spf.audit.test ptr ?all"',
    '_spf TXT "v=spf1 ip4:192.0.2.0/24 -all"',
    '_dmarc TXT "v=DMARC1; p=none"',
    's1._domainkey TXT "v=DKIM1; k=rsa; t=y; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDIS/pMvRDwZ/0y0lBpb9ov0LY4Jm0PeUmnvhez0Vz2s8HsaAdeFSY90eA6vJBnsuwVfU3s/nLDBhNUydljtCDkMTceJqsBnrhhx4oVN5c/9VtPCy1vJ7NPaOLqmqgeGH006A9s46ahNXyjGeAp+8fMe62nQWsSOdFdFa8hDuiDwwIDAQAB"',
])


@pytest.mark.nsd
def test_audit_over_real_nsd(cli, nsd_factory):
    server = nsd_factory({"audit.test": NSD_ZONE})
    proc = cli("audit", "audit.test", "--nameserver", server.address, "--selector", "s1", "--json",
               "--dns-timeout", "2")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    found = {f["id"] for f in out["findings"]}
    assert {"spf-ptr", "spf-permissive-all", "dmarc-p-none", "dmarc-no-rua", "dkim-weak-key", "dkim-testing"} <= found
    assert "spf-missing" not in found and "mx-missing" not in found
    assert out["spf"]["lookups"] == 3
    assert out["elapsed_seconds"] < 1.0
