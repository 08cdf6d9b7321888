"""The reports dashboard (SPEC sections 12 and 13) over real stores."""

from __future__ import annotations

import html
import re

import pytest
from tests.web.hostile import hostile_reverse_dns

from mailwarden.web.dashboard import PAGE_SIZE, View


def _text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


@pytest.fixture
def board(client_for, corpus_store):
    return client_for(db_url=corpus_store, dns={})


def test_dashboard_shows_the_biggest_domain_with_charts_buckets_and_readiness(board, corpus_store):
    from mailwarden.reports import analysis
    from mailwarden.reports.store import Store

    with Store.open(corpus_store) as store:
        expected = analysis.summary(store, domain="example.com").domains[0]
    page = board.get("/reports")
    assert page.status_code == 200
    text = _text(page.text)
    assert "Who sends mail as example.com" in text
    assert f"{expected.messages:,} messages reported" in text
    assert f"{expected.pass_rate * 100:.1f}% passed DMARC" in text
    assert page.text.count('<svg class="chart') == 4 and "<polyline" in page.text
    assert expected.readiness.reason in text
    for bucket in expected.buckets:
        assert f"{bucket.bucket.value} ({bucket.sources})" in text
    assert "Unauthorized sources" in text and "Every sender" in text


def test_inventory_filters_sorts_and_pages_on_the_server(board, corpus_store):
    from mailwarden.reports import analysis
    from mailwarden.reports.store import Store

    with Store.open(corpus_store) as store:
        every = analysis.sources(store, domain="example.com").sources
    unauthorized = [s for s in every if s.bucket.value == "unauthorized"]
    page = board.get("/reports?domain=example.com&bucket=unauthorized")
    rows = re.findall(r'<span class="badge bucket-([a-z]+)"', page.text)
    assert rows and set(rows) == {"unauthorized"}
    assert len(rows) == min(len(unauthorized), PAGE_SIZE)
    inventory = board.get("/reports?domain=example.com&sort=ip&dir=asc").text.split('id="inventory"')[1]
    ips = re.findall(r"<tr>\s*<td><code>([^<]+)</code>", inventory)
    import ipaddress

    keys = [(ipaddress.ip_address(ip).version, int(ipaddress.ip_address(ip))) for ip in ips]
    assert len(keys) > 5 and keys == sorted(keys)
    by_messages = board.get("/reports?domain=example.com").text.split('id="inventory"')[1]
    counts = [int(c.replace(",", "")) for c in re.findall(
        r'<td class="num">([0-9,]+)</td>\s*<td class="num">', by_messages)]
    assert len(counts) > 5 and counts == sorted(counts, reverse=True)
    one = every[0].ip
    filtered = board.get(f"/reports?domain=example.com&q={one}")
    assert one in filtered.text and "Every sender (" in _text(filtered.text)
    nothing = board.get("/reports?domain=example.com&q=no-such-sender-anywhere")
    assert "No sender matches." in nothing.text


def test_other_domains_dates_and_bad_parameters(board):
    assert "Who sends mail as random.net" in _text(board.get("/reports?domain=random.net").text)
    assert "No reports about nothere.example" in _text(board.get("/reports?domain=nothere.example").text)
    assert board.get("/reports?since=yesterday").status_code == 400
    empty = board.get("/reports?since=2099-01-01")
    assert "No DMARC reports are stored for these dates" in _text(empty.text)
    odd = board.get("/reports?sort=<script>&dir=sideways&page=-4&bucket=<b>")
    assert odd.status_code == 200 and "<script>" not in odd.text and "<b>" not in odd.text


def test_empty_store_says_how_to_fill_it(client_for, tmp_path):
    page = client_for(db_url=str(tmp_path / "empty.db")).get("/reports")
    assert page.status_code == 200 and "mailwarden reports ingest" in page.text


def test_hostile_report_fields_are_escaped(client_for, hostile_store):
    c = client_for(db_url=hostile_store, dns=hostile_reverse_dns())
    page = c.get("/reports?domain=fabrikam.example")
    assert page.status_code == 200
    assert "<script>" not in page.text and "<img" not in page.text and "<svg/" not in page.text
    assert "&lt;script&gt;alert(&#39;ptr&#39;)&lt;/script&gt;.evil.example" in page.text


def test_new_reports_show_at_once(client_for, tmp_path):
    from tests.web.hostile import hostile_reports

    from mailwarden.reports.store import Store

    path = str(tmp_path / "growing.db")
    (first, first_records), (second, second_records) = hostile_reports()[:2]
    with Store.open(path) as store:
        store.writer.add_aggregate(first, first_records, source="a.xml")
    c = client_for(db_url=path, reverse_dns=False)
    assert "50 messages reported" in _text(c.get("/reports").text)
    assert "50 messages reported" in _text(c.get("/reports?sort=ip").text)  # from the cache
    with Store.open(path) as store:
        store.writer.add_aggregate(second, second_records, source="b.xml")
    assert "101 messages reported" in _text(c.get("/reports").text)


def test_view_links_keep_the_other_parameters():
    view = View.from_query({"domain": "fabrikam.example", "since": "2026-01-01", "q": "a&b", "bucket": "forwarded",
                            "page": "3"})
    assert view.url(sort="ip", desc=True) == (
        "/reports?domain=fabrikam.example&since=2026-01-01&bucket=forwarded&q=a%26b&sort=ip&dir=desc")
    assert view.url(sort="ip", desc=False).endswith("&sort=ip")  # ascending is the default for addresses
    assert view.url(page=2).endswith("&page=2")
    assert View.from_query({"page": "x", "sort": "evil", "bucket": "nope"}) == View()
