"""Who sends as my domain: buckets, providers, reverse DNS, summary and readiness."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from tests.reports.helpers import DAY, T0, header, record

from mailwarden.dns.snapshot import SnapshotResolver
from mailwarden.reports import analysis
from mailwarden.reports.analysis import Bucket, Traffic, classify, default_map, next_step
from mailwarden.reports.analysis.providers import ProviderMap
from mailwarden.reports.store import Store

PROVIDERS = default_map()


def traffic(*, passed: bool = False, forwarded: bool = False, dkim: tuple[str | None, str | None] = (None, None),
            spf: tuple[str | None, str | None] = (None, None), domain: str = "example.com") -> Traffic:
    return Traffic(domain, "192.0.2.1", passed, forwarded, dkim[0], dkim[1], spf[0], spf[1], 10, 1)


def test_the_shipped_provider_map_knows_the_big_services() -> None:
    assert len(PROVIDERS) > 3000
    assert PROVIDERS.lookup("mail-sor-f41.google.com").name.startswith("Google")
    assert PROVIDERS.lookup("o1.ptr1234.sendgrid.net").type == "Marketing"
    assert PROVIDERS.lookup("mx0b-00123.pphosted.com").type == "Email Security"
    assert PROVIDERS.lookup("mail-db8eur05on2100.outbound.protection.outlook.com").type == "Email Provider"
    assert PROVIDERS.lookup("unknown-host.example") is None
    assert PROVIDERS.lookup("") is None and PROVIDERS.lookup("x" * 300) is None


def test_the_most_specific_map_entry_wins() -> None:
    providers = ProviderMap.from_csv("base_reverse_dns,name,type\nexample.net,Parent,ISP\nmail.example.net,Child,SaaS\n")
    assert providers.lookup("a.mail.example.net").name == "Child"
    assert providers.lookup("b.example.net").name == "Parent"


@pytest.mark.parametrize(
    ("item", "host", "bucket"),
    [
        (traffic(passed=True), None, Bucket.AUTHORIZED),
        (traffic(passed=True), "o1.sendgrid.net", Bucket.AUTHORIZED),
        (traffic(forwarded=True), None, Bucket.FORWARDED),
        (traffic(), "mx0a-001.pphosted.com", Bucket.FORWARDED),  # a security gateway relays
        (traffic(dkim=("example.com", "fail")), "mail-x.google.com", Bucket.FORWARDED),  # own signature broken
        (traffic(), "mail-x.google.com", Bucket.MISCONFIGURED),
        (traffic(), "o1.sendgrid.net", Bucket.MISCONFIGURED),
        (traffic(dkim=("sendgrid.net", "pass")), None, Bucket.MISCONFIGURED),  # authenticated as the service
        (traffic(spf=("amazonses.com", "pass")), None, Bucket.MISCONFIGURED),
        (traffic(dkim=("sendgrid.net", "fail")), None, Bucket.UNAUTHORIZED),  # a failing claim proves nothing
        (traffic(spf=("spammer.example", "pass")), None, Bucket.UNAUTHORIZED),  # SPF pass for their own domain
        (traffic(), "dsl-1-2-3-4.comcast.net", Bucket.UNAUTHORIZED),  # an ISP's customer line
        (traffic(), None, Bucket.UNAUTHORIZED),
    ],
)
def test_buckets(item: Traffic, host: str | None, bucket: Bucket) -> None:
    provider = PROVIDERS.lookup(host) if host else None
    assert classify(item, provider, PROVIDERS).bucket is bucket


@pytest.mark.parametrize(
    ("policy", "pct", "step"),
    [(None, None, "p=quarantine"), ("none", 100, "p=quarantine"), ("quarantine", 25, "p=quarantine pct=100"),
     ("quarantine", 100, "p=reject"), ("reject", 50, "p=reject pct=100"), ("reject", None, None)],
)
def test_next_policy_step(policy: str | None, pct: int | None, step: str | None) -> None:
    assert next_step(policy, pct) == step


def snapshot() -> SnapshotResolver:
    return SnapshotResolver.from_dict({
        "1.2.0.192.in-addr.arpa": {"PTR": ["o1.ptr42.sendgrid.net"]},
        "o1.ptr42.sendgrid.net": {"A": ["192.0.2.1"]},
        # a spoofer names its own address after a known service: not confirmed, not trusted
        "66.2.0.192.in-addr.arpa": {"PTR": ["mail.sendgrid.net"]},
        "mail.sendgrid.net": {"A": ["198.51.100.7"]},
        "77.2.0.192.in-addr.arpa": {"PTR": "SERVFAIL"},
    })


def test_reverse_names_are_forward_confirmed() -> None:
    async def run():  # type: ignore[no-untyped-def]
        return await analysis.reverse_names(snapshot(), ["192.0.2.1", "192.0.2.66", "192.0.2.77", "192.0.2.88",
                                                         "not-an-ip"])

    names = asyncio.run(run())
    assert names["192.0.2.1"].confirmed and names["192.0.2.1"].name == "o1.ptr42.sendgrid.net"
    assert not names["192.0.2.66"].confirmed and names["192.0.2.66"].name == "mail.sendgrid.net"
    assert names["192.0.2.77"].failed
    assert names["192.0.2.88"].name is None
    assert "not-an-ip" not in names


def fill(store: Store, days: int = 8, *, p: str = "none") -> None:
    for day in range(days):
        store.writer.add_aggregate(header(f"g-{day}", begin=T0 + day * DAY, p=p), iter([
            record("192.0.2.10", 100),
            record("192.0.2.1", 5, dkim="fail", spf="fail", dkim_auth=[], spf_auth=[("sendgrid.net", "pass")]),
            record("192.0.2.66", 3, dkim="fail", spf="fail", dkim_auth=[], spf_auth=[("spoof.example", "pass")]),
            record("192.0.2.20", 2, dkim="fail", spf="fail", reasons=("mailing_list",)),
        ]), source=f"g{day}.xml")
    store.writer.add_aggregate(header("other", domain="example.org", org="yahoo.com", email="d@yahoo.com"),
                               iter([record("203.0.113.5", 4, header_from="example.org")]), source="y.xml")
    store.writer.add_rejected("broken.xml.gz", "not gzip data")


def test_summary_per_domain(store: Store) -> None:
    fill(store)
    result = analysis.summary(store)
    assert [d.domain for d in result.domains] == ["example.com", "example.org"]
    first = result.domains[0]
    assert (first.messages, first.passed, first.reports, first.reporters) == (880, 800, 8, 1)
    assert first.pass_rate == round(800 / 880, 4)
    assert {b.bucket: (b.messages, b.sources) for b in first.buckets} == {
        Bucket.AUTHORIZED: (800, 1), Bucket.FORWARDED: (16, 1), Bucket.MISCONFIGURED: (40, 1),
        Bucket.UNAUTHORIZED: (24, 1)}
    assert len(first.series) == 8 and first.series[0].day == dt.date(2024, 3, 1)
    assert (first.series[0].messages, first.series[0].passed) == (110, 100)
    ready = first.readiness
    assert (ready.current_policy, ready.next_step, ready.days) == ("none", "p=quarantine", 8)
    assert ready.aligned_share == round(800 / 856, 4) and not ready.ready
    assert [s.ip for s in ready.would_block] == ["192.0.2.1"]
    assert result.rejected_total == 1 and result.rejected[0].error == "not gzip data"
    data = result.to_json()
    assert data["domains"][0]["buckets"]["misconfigured"] == {"messages": 40, "sources": 1}
    assert data["reports"] == {"aggregate": 9}


def test_summary_window_and_domain(store: Store) -> None:
    fill(store)
    result = analysis.summary(store, domain="EXAMPLE.com.", since=dt.date(2024, 3, 3), until=dt.date(2024, 3, 4))
    assert [d.domain for d in result.domains] == ["example.com"]
    assert result.domains[0].messages == 220 and result.domains[0].reports == 2
    assert not result.domains[0].readiness.ready and "2 day(s)" in result.domains[0].readiness.reason


def test_sources_with_reverse_dns(store: Store) -> None:
    fill(store)
    items = analysis.load_traffic(store, analysis.window())
    ips = analysis.source_ips(items)
    assert ips[0] == "192.0.2.10"
    names = asyncio.run(analysis.reverse_names(snapshot(), ips))
    listing = analysis.sources(store, names=names, traffic=items)
    by_ip = {s.ip: s for s in listing.sources}
    assert by_ip["192.0.2.1"].provider.name == "Twilio SendGrid" and by_ip["192.0.2.1"].org_domain == "sendgrid.net"
    assert by_ip["192.0.2.66"].bucket is Bucket.UNAUTHORIZED and by_ip["192.0.2.66"].provider is None
    unauthorized = analysis.sources(store, bucket="unauthorized", names=names)
    assert [s.ip for s in unauthorized.sources] == ["192.0.2.66"]
    assert unauthorized.to_json()["sources"][0]["reverse_dns"] == "mail.sendgrid.net"
    assert unauthorized.to_json()["sources"][0]["reverse_dns_confirmed"] is False


def test_ready_when_legitimate_mail_is_aligned(store: Store) -> None:
    for day in range(7):
        store.writer.add_aggregate(header(f"q-{day}", begin=T0 + day * DAY, p="quarantine"), iter([
            record("192.0.2.10", 1000), record("192.0.2.66", 50, dkim="fail", spf="fail", dkim_auth=[], spf_auth=[])
        ]), source="q")
    ready = analysis.summary(store).domains[0].readiness
    assert ready.ready and ready.next_step == "p=reject" and ready.aligned_share == 1.0


def test_volume_series(store: Store) -> None:
    fill(store, days=3)
    series = analysis.volume(store, domain="example.com")
    assert [(d.day.day, d.messages, d.pass_rate) for d in series["example.com"]] == [
        (1, 110, round(100 / 110, 4)), (2, 110, round(100 / 110, 4)), (3, 110, round(100 / 110, 4))]
