"""audit_domain on hand-made snapshots: findings, records, grade, plan, concurrency, bad input."""

from __future__ import annotations

import asyncio
import json
import time

import pytest

from mailwarden.audit.service import SharedResolver, audit_domain
from mailwarden.dns.base import Answer, Rcode
from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.errors import DNSUnavailableError, InputError

GOOD = {
    "good.test": {"MX": ["10 mx.good.test"], "TXT": ["v=spf1 mx include:_spf.google.com -all"]},
    "mx.good.test": {"A": ["192.0.2.1"]},
    "_spf.google.com": {"TXT": ["v=spf1 ip4:192.0.2.0/24 ~all"]},
    "s1._domainkey.good.test": {"TXT": []},
    "_dmarc.good.test": {"TXT": ["v=DMARC1; p=reject; rua=mailto:d@good.test"]},
}


def run(zone, domain, **kw):
    return asyncio.run(audit_domain(SnapshotResolver.from_dict(zone), domain, **kw))


def ids(report):
    return {f.id for f in report.findings}


def test_no_mail_domain_locked_down_is_clean():
    zone = {"parked.test": {"MX": ["0 ."], "TXT": ["v=spf1 -all"]},
            "_dmarc.parked.test": {"TXT": ["v=DMARC1; p=reject; sp=reject"]}}
    report = run(zone, "parked.test", no_mail=True)
    assert ids(report) == set()
    assert report.grade == "A"
    values = {(r.type, r.value) for r in report.recommended_records}
    assert ("TXT", "v=spf1 -all") in values and ("MX", "0 .") in values
    assert any(v.startswith("v=DMARC1; p=reject") for _, v in values)


def test_no_mail_domain_that_still_accepts_and_authorizes_mail():
    report = run(GOOD, "good.test", no_mail=True)
    assert {"mx-not-null", "spf-not-reject-all"} <= ids(report)
    assert "dmarc-p-none" not in ids(report)


def test_authorized_senders_name_known_providers():
    report = run(GOOD, "good.test", selectors=("s1",))
    named = {s.provider for s in report.spf.senders}
    assert "Google Workspace" in named
    google = next(s for s in report.spf.senders if s.provider == "Google Workspace")
    assert google.addresses == 256


def test_explicit_missing_selector_is_reported_but_common_probes_are_not():
    report = run(GOOD, "good.test", selectors=("s1",))
    missing = [f for f in report.findings if f.id == "dkim-missing"]
    assert len(missing) == 1 and "s1" in missing[0].message
    assert len(report.dkim) > 5  # common selectors were probed too


def test_dmarc_found_by_tree_walk_on_parent():
    zone = dict(GOOD)
    zone["_dmarc.good.test"] = {"TXT": ["v=DMARC1; p=reject; sp=none; rua=mailto:d@good.test"]}
    zone["sub.good.test"] = {"MX": ["10 mx.good.test"], "TXT": ["v=spf1 mx -all"]}
    report = run(zone, "sub.good.test")
    assert "dmarc-inherited" in ids(report)
    assert "dmarc-missing" not in ids(report)
    # sp=none of the parent applies to the subdomain: it is not protected
    assert "dmarc-p-none" in ids(report)


def test_plus_all_is_critical_and_corrected():
    zone = dict(GOOD)
    zone["good.test"] = {"MX": ["10 mx.good.test"], "TXT": ["v=spf1 mx ptr +all"]}
    report = run(zone, "good.test")
    f = next(f for f in report.findings if f.id == "spf-permissive-all")
    assert f.severity == "critical"
    spf = next(r for r in report.recommended_records if r.name == "good.test" and r.type == "TXT")
    assert spf.value == "v=spf1 mx -all"


def test_syntax_error_repaired_in_the_corrected_record():
    zone = dict(GOOD)
    zone["good.test"] = {"MX": ["10 mx.good.test"], "TXT": ["v=spf1 include: _spf.google.com -all"]}
    report = run(zone, "good.test")
    assert "spf-syntax" in ids(report)
    spf = next(r for r in report.recommended_records if r.name == "good.test")
    assert spf.value == "v=spf1 include:_spf.google.com -all"


def _sprawl(n_includes: int) -> dict:
    zone = {"big.test": {"MX": ["10 mx.big.test"],
                         "TXT": ["v=spf1 " + " ".join(f"include:p{i}.prov.test" for i in range(n_includes)) + " -all"]},
            "mx.big.test": {"A": ["192.0.2.1"]},
            "_dmarc.big.test": {"TXT": ["v=DMARC1; p=reject; rua=mailto:d@big.test"]}}
    for i in range(n_includes):
        zone[f"p{i}.prov.test"] = {"TXT": [f"v=spf1 ip4:198.51.{i}.0/24 ~all"]}
    return zone


def test_a_providers_include_is_never_expanded_into_ranges():
    """Issue 15 point 8: the corrected SPF never hands the owner a copy of a provider's addresses to maintain."""
    report = run(_sprawl(12), "big.test")
    assert "spf-too-many-lookups" in ids(report)
    assert report.spf.lookups == 12
    assert not any("ip4:198.51." in r.value for r in report.recommended_records)
    finding = next(f for f in report.findings if f.id == "spf-too-many-lookups")
    assert "Do not replace a provider's include with its addresses" in finding.fix


def test_the_domains_own_includes_are_written_out_to_fit():
    zone = _sprawl(12)
    zone = {k.replace(".prov.test", ".big.test"): v for k, v in zone.items()}
    zone["big.test"]["TXT"] = ["v=spf1 " + " ".join(f"include:p{i}.big.test" for i in range(12)) + " -all"]
    report = run(zone, "big.test")
    spf = next(r for r in report.recommended_records if r.name == "big.test")
    assert spf.value.count("include:") <= 10
    assert "ip4:198.51." in spf.value and "your own include:" in spf.why


class SlowResolver:
    """Every answer takes 30 ms: 34 sequential questions would take over a second."""

    def __init__(self, zone):
        self.inner = SnapshotResolver.from_dict(zone)
        self.asked = 0

    async def query(self, name, rdtype):
        self.asked += 1
        await asyncio.sleep(0.03)
        return await self.inner.query(name, rdtype)

    async def aclose(self):
        pass


def test_questions_run_concurrently_and_are_asked_once():
    zone = _sprawl(12)
    slow = SlowResolver(zone)
    started = time.monotonic()
    report = asyncio.run(audit_domain(slow, "big.test", selectors=("a", "b")))
    elapsed = time.monotonic() - started
    # 12 includes walked + ~14 selectors + MX + DMARC: > 30 questions, > 0.9 s if sequential;
    # concurrently only the SPF include chain (13 answers deep) is sequential.
    assert report.dns_questions >= 30
    assert elapsed < 0.75, elapsed
    assert slow.asked == report.dns_questions  # nothing asked twice


def test_shared_resolver_deduplicates_concurrent_questions():
    class Counting:
        calls = 0

        async def query(self, name, rdtype):
            Counting.calls += 1
            await asyncio.sleep(0.01)
            return Answer(name, rdtype, Rcode.NXDOMAIN)

    async def go():
        shared = SharedResolver(Counting())
        await asyncio.gather(*(shared.query("X.test.", "txt") for _ in range(20)))
        return shared.questions

    assert asyncio.run(go()) == 1 and Counting.calls == 1


def test_dns_failures_conclude_nothing():
    """SPEC section 7: no answer from DNS for the records it grades -> no grade, no records (exit 3)."""
    zone = {"flaky.test": {"MX": "SERVFAIL", "TXT": "TIMEOUT"}, "_dmarc.flaky.test": {"TXT": "TIMEOUT"}}
    with pytest.raises(DNSUnavailableError) as caught:
        run(zone, "flaky.test")
    text = str(caught.value)
    assert "flaky.test TXT (TIMEOUT)" in text and "flaky.test MX (SERVFAIL)" in text
    assert "_dmarc.flaky.test TXT (TIMEOUT)" in text


@pytest.mark.parametrize("bad", ["", "not a domain", "a..b", "x" * 300 + ".test", "evil.test\r\nDATA", "nodot"])
def test_bad_domain_is_an_input_error(bad):
    with pytest.raises(InputError):
        run(GOOD, bad)


def test_bad_selector_and_provider_are_input_errors():
    with pytest.raises(InputError):
        run(GOOD, "good.test", selectors=("bad selector",))
    with pytest.raises(InputError):
        run(GOOD, "good.test", provider="no-such-provider")


def test_hostile_zone_is_bounded():
    """Thousands of MX hosts and a 60-record include chain: bounded work, clear findings."""
    zone = {"hostile.test": {"MX": [f"{i} mx{i}.hostile.test" for i in range(2000)],
                             "TXT": ["v=spf1 include:c0.hostile.test -all"]}}
    for i in range(100):
        zone[f"c{i}.hostile.test"] = {"TXT": [f"v=spf1 include:c{i + 1}.hostile.test ~all"]}
    started = time.monotonic()
    report = run(zone, "hostile.test")
    assert time.monotonic() - started < 5
    assert len(report.mx.hosts) <= 16
    assert "spf-too-many-lookups" in ids(report)


def test_json_is_serializable_and_has_the_spec_fields():
    report = run(GOOD, "good.test", selectors=("s1",))
    out = json.loads(json.dumps(report.to_json()))
    assert set(out) >= {"domain", "grade", "findings", "recommended_records", "rollout"}
    for f in out["findings"]:
        assert set(f) >= {"id", "severity", "message", "fix"}
    for r in out["recommended_records"]:
        assert set(r) >= {"name", "type", "value"}
