"""Containers: mbox, Maildir, nested multiparts, inline reports, .json.gz, sniffing by content."""

from __future__ import annotations

import base64
import gzip
import io
import json
import zipfile
from pathlib import Path

from mailwarden.reports import AggregateReport, FailureReport, ReportError, TLSReport, iter_reports, sniff

REPORT = (b"<?xml version='1.0'?><feedback><report_metadata><org_name>Receiver</org_name><report_id>{rid}</report_id>"
          b"<date_range><begin>1700000000</begin><end>1700086399</end></date_range></report_metadata>"
          b"<policy_published><domain>example.com</domain><p>reject</p></policy_published>"
          b"<record><row><source_ip>192.0.2.7</source_ip><count>3</count><policy_evaluated>"
          b"<disposition>reject</disposition><dkim>fail</dkim><spf>fail</spf></policy_evaluated></row>"
          b"<identifiers><header_from>example.com</header_from></identifiers></record></feedback>")
TLS = {"organization-name": "Org", "date-range": {"start-datetime": "2024-01-01T00:00:00Z",
                                                  "end-datetime": "2024-01-01T23:59:59Z"},
       "contact-info": "tls@org.example", "report-id": "t-1",
       "policies": [{"policy": {"policy-type": "sts", "policy-domain": "example.com"},
                     "summary": {"total-successful-session-count": 7, "total-failure-session-count": 1}}]}


def _report(rid: str) -> bytes:
    return REPORT.replace(b"{rid}", rid.encode())


def _email(rid: str, *, nested: bool = False, inline: bool = False) -> bytes:
    xml = _report(rid)
    if inline:
        return (b"From: noreply@receiver.example\r\nTo: rua@example.com\r\nSubject: Report " + rid.encode()
                + b"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + xml + b"\r\n")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"receiver!example.com!{rid}.xml", xml)
    attachment = base64.encodebytes(buffer.getvalue()).replace(b"\n", b"\r\n")
    part = (b"Content-Type: application/zip; name=\"r.zip\"\r\nContent-Transfer-Encoding: base64\r\n"
            b"Content-Disposition: attachment; filename=\"r.zip\"\r\n\r\n" + attachment)
    if nested:
        part = (b"Content-Type: multipart/mixed; boundary=\"inner\"\r\n\r\n--inner\r\n"
                b"Content-Type: text/plain\r\n\r\nSee attached.\r\n--inner\r\n" + part + b"--inner--\r\n")
    return (b"From: noreply@receiver.example\r\nTo: rua@example.com\r\nSubject: Report " + rid.encode()
            + b"\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"outer\"\r\n\r\n"
            b"--outer\r\nContent-Type: text/plain\r\n\r\nThis is a DMARC report.\r\n--outer\r\n" + part
            + b"\r\n--outer--\r\n")


def _drain(source: Path | bytes) -> list[object]:
    out = []
    for item in iter_reports(source):
        if isinstance(item, AggregateReport):
            item.records.materialize()
        out.append(item)
    return out


def test_email_with_zip_nested_multipart_and_inline(tmp_path: Path) -> None:
    for data in (_email("a"), _email("b", nested=True), _email("c", inline=True)):
        (report,) = _drain(data)
        assert isinstance(report, AggregateReport), report
        assert report.report_metadata.org_name == "Receiver"
        assert report.records.materialize()[0].source_ip == "192.0.2.7"
    (nested,) = _drain(_email("b", nested=True))
    assert nested.source == "-/r.zip!receiver!example.com!b.xml"  # type: ignore[attr-defined]


def test_mbox_with_several_reports(tmp_path: Path) -> None:
    mbox = tmp_path / "reports.mbox"
    body = b""
    for rid in ("m1", "m2", "m3"):
        body += b"From noreply@receiver.example Mon Jan  1 00:00:00 2024\n" + _email(rid).replace(b"\r\n", b"\n")
        body += b"\n"
    body += b"From someone@example.org Mon Jan  1 00:00:00 2024\nSubject: hello\n\nnot a report\n"
    mbox.write_bytes(body)
    items = _drain(mbox)
    reports = [i for i in items if isinstance(i, AggregateReport)]
    assert [r.report_metadata.report_id for r in reports] == ["m1", "m2", "m3"]
    assert reports[1].source.startswith(f"{mbox}#1/")
    (error,) = [i for i in items if isinstance(i, ReportError)]
    assert error.source == f"{mbox}#3" and "no DMARC or SMTP-TLS report" in error.error


def test_maildir_skips_tmp(tmp_path: Path) -> None:
    maildir = tmp_path / "Maildir"
    for sub in ("cur", "new", "tmp"):
        (maildir / sub).mkdir(parents=True)
    (maildir / "cur" / "1700000000.1.host:2,S").write_bytes(_email("cur1"))
    (maildir / "new" / "1700000001.2.host").write_bytes(_email("new1", nested=True))
    (maildir / "tmp" / "1700000002.3.host").write_bytes(_email("partial"))
    reports = [i for i in _drain(maildir) if isinstance(i, AggregateReport)]
    assert sorted(r.report_metadata.report_id or "" for r in reports) == ["cur1", "new1"]


def test_tls_json_gz_and_sniffing(tmp_path: Path) -> None:
    path = tmp_path / "report.bin"  # the name says nothing: the bytes decide
    path.write_bytes(gzip.compress(json.dumps(TLS).encode()))
    (report,) = _drain(path)
    assert isinstance(report, TLSReport)
    assert report.total_successful_sessions == 7 and report.total_failure_sessions == 1
    assert report.begin == 1704067200
    assert report.to_json()["policies"][0]["policy"]["policy-domain"] == "example.com"
    assert sniff(b"\x1f\x8b...") == "gzip" and sniff(b"PK\x03\x04") == "zip"
    assert sniff(b"\xef\xbb\xbf  <?xml") == "xml" and sniff(b'{"a"') == "json"
    assert sniff(b"Received: x\r\n") == "email" and sniff(b"\x00\x01") == "unknown"


def test_arf_failure_report_in_a_digest_like_mbox(tmp_path: Path) -> None:
    arf = (b"From: dmarc@receiver.example\r\nSubject: failure\r\nMIME-Version: 1.0\r\n"
           b"Content-Type: multipart/report; report-type=feedback-report; boundary=\"b\"\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nA message failed DMARC.\r\n"
           b"--b\r\nContent-Type: message/feedback-report\r\n\r\nFeedback-Type: auth-failure\r\nVersion: 1\r\n"
           b"User-Agent: r/1\r\nAuth-Failure: dmarc\r\nIdentity-Alignment: dkim\r\nSource-IP: 2001:DB8::5\r\n"
           b"Reported-Domain: Example.COM\r\nDKIM-Domain: Example.com\r\nDKIM-Selector: s1\r\n"
           b"Original-Mail-From: <bounce@example.com>\r\nOriginal-Rcpt-To: <a@b.example>\r\n"
           b"Original-Rcpt-To: <c@d.example>\r\nArrival-Date: Tue, 30 Apr 2019 02:09:00 +0000\r\n"
           b"Reported-URI: http://bad.example/x\r\n"
           b"\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: ceo@example.com\r\nSubject: pay\r\n"
           b"Message-ID: <x@y>\r\n\r\nbody\r\n--b--\r\n")
    (report,) = _drain(arf)
    assert isinstance(report, FailureReport)
    data = report.to_json()
    assert data["source_ip"] == "2001:db8::5" and data["reported_domain"] == ["example.com"]
    assert data["identity_alignment"] == "dkim" and data["auth_failure"] == "dmarc"
    assert data["dkim_domain"] == "example.com" and data["dkim_selector"] == "s1"
    assert data["original_mail_from"] == "bounce@example.com"
    assert data["original_rcpt_to"] == ["a@b.example", "c@d.example"]
    assert data["reported_uri"] == ["http://bad.example/x"]
    assert data["arrival_time"] == 1556590140
    assert data["original_subject"] == "pay" and data["original_from"] == "ceo@example.com"
    assert "From: ceo@example.com" in data["original_headers"]
