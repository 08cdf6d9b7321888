"""Aggregate records are streamed: read once, while the input is open."""

from __future__ import annotations

import pytest

from mailwarden.reports import AggregateReport, iter_reports, parse_aggregate

HEAD = (b"<feedback><report_metadata><org_name>o</org_name><report_id>r1</report_id>"
        b"<date_range><begin>1335571200.0</begin><end> 1335657599 </end></date_range></report_metadata>"
        b"<policy_published><domain>Example.COM.</domain><p>Reject</p><pct>50</pct></policy_published>")
RECORD = (b"<record><row><source_ip>192.0.2.%d</source_ip><count>%d</count><policy_evaluated>"
          b"<disposition>none</disposition><dkim>PASS</dkim><spf>fail</spf></policy_evaluated></row>"
          b"<identifiers><header_from>example.com</header_from></identifiers></record>")


def _report(n: int) -> bytes:
    return HEAD + b"".join(RECORD % (i % 250, i + 1) for i in range(n)) + b"</feedback>"


def test_records_are_yielded_while_reading() -> None:
    pulled = []

    def chunks():
        data = _report(1000)
        for i in range(0, len(data), 4096):
            pulled.append(i)
            yield data[i:i + 4096]

    report = parse_aggregate(chunks(), source="gen")
    assert report.report_metadata.date_range.begin == 1335571200  # 2012-era float timestamp
    assert report.report_metadata.date_range.end == 1335657599
    assert report.policy_published.domain == "example.com" and report.policy_published.p == "reject"
    assert report.policy_published.pct == 50
    before = len(pulled)
    assert before < 5  # only the head was read
    records = report.iter_records()
    first = next(records)
    assert first.source_ip == "192.0.2.0" and first.count == 1 and first.policy_evaluated.dkim == "pass"
    assert sum(1 for _ in records) == 999
    assert len(pulled) > before


def test_records_read_once_and_gone_after_advancing() -> None:
    report = parse_aggregate([_report(3)], source="x")
    assert len(list(report.iter_records())) == 3
    with pytest.raises(RuntimeError):
        list(report.iter_records())
    items = list(iter_reports(_report(3)))
    assert isinstance(items[0], AggregateReport)
    with pytest.raises(RuntimeError, match="read them before"):
        list(items[0].iter_records())
