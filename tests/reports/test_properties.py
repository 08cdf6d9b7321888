"""Property tests (hypothesis) for every report parser: any input gives a report or a clear
error, never another exception; generated reports read back with the values they were written with."""

from __future__ import annotations

import gzip
import io
import ipaddress
import json
import zipfile
from typing import Any
from xml.sax.saxutils import escape

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mailwarden.errors import ReportParseError
from mailwarden.reports import (
    AggregateReport,
    FailureReport,
    ReportError,
    TLSReport,
    iter_reports,
    parse_aggregate,
    parse_tls,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])

HEAD = (b"<feedback><report_metadata><org_name>o</org_name><report_id>r</report_id></report_metadata>"
        b"<policy_published><domain>example.com</domain><p>none</p></policy_published>")


def _drain(item: Any) -> dict[str, Any] | None:
    if isinstance(item, AggregateReport):
        try:
            return item.to_json()
        except ReportParseError:
            return None
    return item.to_json()


@SETTINGS
@given(st.binary(max_size=2000))
def test_parse_aggregate_any_bytes(data: bytes) -> None:
    try:
        report = parse_aggregate([data], source="x")
        list(report.iter_records())
    except ReportParseError as exc:
        assert str(exc)


XML_PIECES = st.sampled_from([
    b"<feedback>", b"</feedback>", b"<record>", b"</record>", b"<row>", b"</row>", b"<source_ip>1.2.3.4</source_ip>",
    b"<count>7</count>", b"<count>-1</count>", b"<count>1e400</count>", b"<auth_results>", b"<dkim>", b"</dkim>",
    b"<spf>", b"<result>PASS</result>", b"<report_metadata>", b"</report_metadata>", b"<policy_published>",
    b"</policy_published>", b"<domain>x.</domain>", b"<![CDATA[<x>]]>", b"<!-- c -->", b"&amp;", b"&bogus;",
    b"<?pi x?>", b"<", b">", b"\xff\xfe", b"<reason><type>Forwarded</type></reason>", b"<!DOCTYPE", b"<x:y>",
    b'<feedback xmlns="urn:ietf:params:xml:ns:dmarc-2.0">', b"<begin>1e9</begin>", b"<date_range>", b"</date_range>",
])


@SETTINGS
@given(st.lists(XML_PIECES, max_size=60), st.integers(min_value=1, max_value=64))
def test_parse_aggregate_xml_soup_in_any_chunking(pieces: list[bytes], size: int) -> None:
    data = b"".join(pieces)
    chunks = [data[i:i + size] for i in range(0, len(data), size)]
    results = []
    for source in ([data], chunks):
        try:
            report = parse_aggregate(source, source="x")
            results.append(("ok", [r.to_json() for r in report.iter_records()]))
        except ReportParseError:
            results.append(("error", None))
    if "DOCTYPE" not in repr(data):
        assert results[0][0] == results[1][0] or "error" in (results[0][0], results[1][0])


WORDS = st.sampled_from(["pass", "Pass", "FAIL", "none", "softfail", "temperror", "neutral", "policy"])
DOMAINS = st.from_regex(r"[a-z0-9]{1,12}(\.[a-z0-9]{1,10}){0,3}\.?", fullmatch=True)
TEXT = st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=40)


@st.composite
def records(draw: Any) -> dict[str, Any]:
    ip = draw(st.one_of(st.ip_addresses(v=4), st.ip_addresses(v=6)))
    return {
        "ip": ip, "count": draw(st.integers(min_value=0, max_value=2**40)),
        "disposition": draw(st.sampled_from(["none", "Quarantine", "REJECT"])),
        "dkim": draw(WORDS), "spf": draw(WORDS), "header_from": draw(DOMAINS),
        "dkims": draw(st.lists(st.tuples(DOMAINS, TEXT, WORDS), max_size=3)),
        "reason": draw(st.none() | st.tuples(st.sampled_from(["forwarded", "Mailing_List", "other"]), TEXT)),
    }


def _xml(recs: list[dict[str, Any]], org: str, float_time: bool) -> bytes:
    begin = "1335571200.0" if float_time else "1335571200"
    out = [f"<?xml version='1.0' encoding='UTF-8'?><feedback><report_metadata><org_name>{escape(org)}</org_name>"
           f"<report_id>id-1</report_id><date_range><begin>{begin}</begin><end>1335657599</end></date_range>"
           "</report_metadata><policy_published><domain>Example.COM</domain><p>Reject</p><np>none</np>"
           "</policy_published>"]
    for r in recs:
        reason = ""
        if r["reason"]:
            reason = f"<reason><type>{r['reason'][0]}</type><comment>{escape(r['reason'][1])}</comment></reason>"
        dkims = "".join(f"<dkim><domain>{d}</domain><selector>{escape(s)}</selector><result>{w}</result></dkim>"
                        for d, s, w in r["dkims"])
        out.append(f"<record><row><source_ip>{r['ip']}</source_ip><count>{r['count']}</count><policy_evaluated>"
                   f"<disposition>{r['disposition']}</disposition><dkim>{r['dkim']}</dkim><spf>{r['spf']}</spf>"
                   f"{reason}</policy_evaluated></row><identifiers><header_from>{r['header_from']}</header_from>"
                   f"</identifiers><auth_results>{dkims}</auth_results></record>")
    out.append("</feedback>")
    return "".join(out).encode("utf-8")


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(records(), max_size=8), TEXT, st.booleans(), st.integers(min_value=1, max_value=200))
def test_generated_reports_read_back(recs: list[dict[str, Any]], org: str, float_time: bool, size: int) -> None:
    data = _xml(recs, org, float_time)
    chunks = [data[i:i + size] for i in range(0, len(data), size)]
    report = parse_aggregate(chunks, source="gen")
    assert report.report_metadata.org_name == (org.strip() or None)
    assert report.report_metadata.date_range.begin == 1335571200
    assert report.policy_published.domain == "example.com" and report.policy_published.p == "reject"
    got = list(report.iter_records())
    assert len(got) == len(recs)
    for record, want in zip(got, recs, strict=True):
        assert ipaddress.ip_address(record.source_ip) == want["ip"]
        assert record.count == want["count"]
        assert record.policy_evaluated.disposition == want["disposition"].lower()
        assert record.policy_evaluated.dkim == want["dkim"].lower()
        assert record.identifiers.header_from == (want["header_from"].rstrip(".") or None)
        assert [(d.domain, d.selector, d.result) for d in record.dkim] == [
            (d.rstrip(".") or None, s.strip() or None, w.lower()) for d, s, w in want["dkims"]]
        if want["reason"]:
            assert record.policy_evaluated.reasons[0].type == want["reason"][0].lower()
            assert record.policy_evaluated.reasons[0].comment == (want["reason"][1].strip() or None)
    # The same report through every container gives the same records.
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("r.xml", data)
    for container in (gzip.compress(data), buffer.getvalue()):
        (item,) = list(_items(container))
        assert item["records"] == [r.to_json() for r in got]


def _items(data: bytes) -> list[dict[str, Any]]:
    out = []
    for item in iter_reports(data):
        assert isinstance(item, (AggregateReport, FailureReport, TLSReport, ReportError))
        out.append(_drain(item))
    return out


PREFIXES = st.sampled_from([b"", b"\x1f\x8b", b"PK\x03\x04", b"From x@y Mon Jan 1 00:00:00 2024\n",
                            b"Subject: x\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n",
                            b"{", b"<", b"\xef\xbb\xbf<feedback>"])


@SETTINGS
@given(PREFIXES, st.binary(max_size=1500))
def test_iter_reports_never_raises(prefix: bytes, data: bytes) -> None:
    for item in iter_reports(prefix + data):
        assert isinstance(item, (AggregateReport, FailureReport, TLSReport, ReportError))
        _drain(item)


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | TEXT,
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(TEXT, inner, max_size=4),
                    max_leaves=20)
TLS_KEYS = st.sampled_from(["organization-name", "date-range", "report-id", "policies", "summary", "policy",
                            "total-successful-session-count", "total-failure-session-count",
                            "start-datetime", "end-datetime", "contact-info"])
TLS_LIKE = st.recursive(st.none() | st.integers(min_value=-2, max_value=10**20) | TEXT
                        | st.just("2016-04-01T00:00:00Z"),
                        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TLS_KEYS, inner, max_size=6),
                        max_leaves=30)


@SETTINGS
@given(st.one_of(JSON, TLS_LIKE, st.dictionaries(TLS_KEYS, TLS_LIKE, max_size=6)))
def test_parse_tls_any_json(value: Any) -> None:
    data = json.dumps(value).encode()
    try:
        report = parse_tls(data, source="x")
    except ReportParseError as exc:
        assert str(exc)
        return
    out = report.to_json()
    assert out["kind"] == "tls" and out["organization-name"] == value["organization-name"]
    assert report.total_successful_sessions >= 0


ARF = ("From: reporter@example.net\r\nTo: ruf@example.com\r\nSubject: report\r\nMIME-Version: 1.0\r\n"
       "Content-Type: multipart/report; report-type=feedback-report; boundary=\"b\"\r\n\r\n"
       "--b\r\nContent-Type: text/plain\r\n\r\nA DMARC failure.\r\n"
       "--b\r\nContent-Type: message/feedback-report\r\n\r\n{fields}\r\n"
       "--b\r\nContent-Type: text/rfc822-headers\r\n\r\nFrom: {orig_from}\r\nSubject: hi\r\n\r\n--b--\r\n")
FIELD_VALUE = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7e), max_size=60)


@SETTINGS
@given(st.ip_addresses(), DOMAINS, FIELD_VALUE, st.lists(st.tuples(
    st.sampled_from(["Auth-Failure", "Delivery-Result", "DKIM-Domain", "Original-Rcpt-To", "Reported-URI",
                     "Arrival-Date", "Identity-Alignment", "X-Junk", ""]), FIELD_VALUE), max_size=8))
def test_arf_reports(ip: Any, domain: str, orig_from: str, extra: list[tuple[str, str]]) -> None:
    fields = [("Feedback-Type", "auth-failure"), ("User-Agent", "test/1"), ("Version", "1"),
              ("Source-IP", str(ip)), ("Reported-Domain", domain), *extra]
    text = "\r\n".join(f"{k}: {v}" for k, v in fields)
    (item,) = list(iter_reports(ARF.format(fields=text, orig_from=orig_from).encode()))
    assert isinstance(item, FailureReport), item
    assert item.feedback_type == "auth-failure" and item.arf
    assert ipaddress.ip_address(item.source_ip) == ip
    assert item.reported_domain == (domain.lower().rstrip("."),)
    assert item.original_headers is not None and item.original_headers.startswith("From:")
    item.to_json()
