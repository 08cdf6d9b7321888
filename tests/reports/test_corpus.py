"""Every report file of the shared corpus (dmarc-reports/) parsed, checked by field value."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mailwarden.reports import AggregateReport, FailureReport, ReportError, TLSReport, iter_reports


def _one(path: Path) -> Any:
    items = _all(path)
    assert len(items) == 1, items
    return items[0]


def _all(path: Path) -> list[Any]:
    out = []
    for item in iter_reports(path):
        if isinstance(item, AggregateReport):
            item.to_json()
        out.append(item)
    return out


@pytest.fixture(scope="module")
def reports_dir(corpora: Path) -> Path:
    return corpora / "dmarc-reports"


@pytest.fixture(scope="module")
def samples(reports_dir: Path) -> Path:
    return reports_dir / "parsedmarc" / "samples"


def test_every_sample_aggregate_parses(samples: Path) -> None:
    files = sorted((samples / "aggregate").iterdir())
    assert len(files) == 19
    for path in files:
        items = _all(path)
        assert items, path
        for item in items:
            assert isinstance(item, AggregateReport), (path, item)
            assert item.report_metadata.report_id
            assert item.policy_published.domain
            assert item.records.materialize(), path


def test_rfc9990_fields(samples: Path) -> None:
    report = _one(samples / "aggregate" / "rfc9990-example.net!example.com!1700000000!1700086399.xml")
    data = report.to_json()
    assert data["kind"] == "aggregate"
    assert data["report_metadata"]["org_name"] == "example.net"
    assert data["report_metadata"]["report_id"] == "dmarcbis-test-report-001"
    assert data["report_metadata"]["date_range"] == {"begin": 1700000000, "end": 1700086399}
    assert data["policy_published"] == {"domain": "example.com", "p": "reject", "sp": "quarantine", "np": "reject",
                                        "adkim": "s", "aspf": "s", "pct": None, "fo": "1", "testing": "y",
                                        "discovery_method": "treewalk"}
    first, second = data["records"][:2]
    assert first["source_ip"] == "198.51.100.1" and first["count"] == 5
    assert first["auth_results"]["dkim"] == [{"domain": "example.com", "selector": "selector1", "result": "pass",
                                              "human_result": None}]
    assert first["auth_results"]["spf"][0] == {"domain": "example.com", "scope": "mfrom", "result": "pass",
                                               "human_result": None}
    assert second["source_ip"] == "203.0.113.10" and second["count"] == 2
    assert second["policy_evaluated"] == {"disposition": "reject", "dkim": "fail", "spf": "fail",
                                          "reasons": [{"type": "other", "comment": "sender not authorized"}]}
    assert second["identifiers"]["envelope_from"] == "spoofed.example.com"


def test_rfc9990_sample_generator(samples: Path) -> None:
    data = _one(samples / "aggregate" / "rfc9990-sample.xml").to_json()
    meta = data["report_metadata"]
    assert meta["generator"] == "Example DMARC Aggregate Reporter v1.2"
    assert meta["extra_contact_info"] == "..."
    assert data["policy_published"]["np"] == "none"
    assert data["policy_published"]["discovery_method"] == "treewalk"
    assert data["policy_published"]["testing"] == "n"
    assert data["records"][0]["count"] == 123
    assert data["records"][0]["policy_evaluated"]["disposition"] == "pass"


def test_large_report_counts(samples: Path) -> None:
    report = _one(samples / "aggregate" / "!large-example.com!1711897200!1711983600.xml")
    records = report.records.materialize()
    assert len(records) == 2286
    assert records[0].source_ip == "12.20.121.1"
    assert report.report_metadata.org_name is None  # <org_name></org_name>
    assert report.report_metadata.report_id == "example.com:1711897200"
    assert report.policy_published.sp == "reject"


def test_upper_case_pass_is_lower_cased(samples: Path) -> None:
    report = _one(samples / "aggregate_invalid" / "report_with_upper_cased_pass.xml")
    record = report.records.materialize()[0]
    assert record.policy_evaluated.dkim == "pass" and record.policy_evaluated.spf == "pass"
    assert record.policy_evaluated.disposition == "none"
    assert record.dkim[0].result == "pass"
    assert record.dkim[0].human_result == "verify result: all signatures verified"
    assert report.report_metadata.org_name == "example.com"


def test_invalid_xml_is_recovered_with_a_warning(samples: Path) -> None:
    report = _one(samples / "aggregate" / "invalid_xml.xml")
    record = report.records.materialize()[0]
    assert report.report_metadata.org_name == "veeam.com"
    assert record.source_ip == "199.230.200.36" and record.count == 1
    assert any("invalid XML repaired" in w for w in report.warnings)


def test_invalid_utf8_is_recovered(samples: Path) -> None:
    report = _one(samples / "aggregate" / "invalid_utf_8.xml")
    record = report.records.materialize()[0]
    assert record.source_ip == "12.20.127.122"
    assert record.identifiers.header_from is not None and record.identifiers.header_from.startswith("bad_byte")
    assert report.warnings


def test_wrapped_report(samples: Path) -> None:
    report = _one(samples / "aggregate" / "ikea.com!example.de!1538690400!1538776800.xml")
    assert report.report_metadata.org_name == "ikea.com"
    assert report.policy_published.fo == "0"
    record = report.records.materialize()[0]
    assert record.spf[0].scope == "helo" and record.spf[0].domain == "mailrelay.com"


def test_report_emails(samples: Path) -> None:
    mimecast = _one(samples / "aggregate" / "mimecast-weird-gzip.eml")
    assert isinstance(mimecast, AggregateReport)
    assert mimecast.report_metadata.org_name == "Mimecast"
    assert mimecast.policy_published.domain == "ab.id.au"
    twilight = _one(samples / "aggregate" / "twilight.eml")
    assert twilight.policy_published.domain == "twlnet.com"
    assert twilight.source.endswith("twilight.eml/google.com!twlnet.com!1549756800!1549843199.zip!"
                                    "google.com!twlnet.com!1549756800!1549843199.xml")
    borschow = _one(next((samples / "aggregate").glob("Report domain- borschow.com*.eml")))
    assert borschow.policy_published.domain == "borschow.com"
    assert borschow.report_metadata.org_name == "google.com"


def test_empty_file_is_a_clear_error(samples: Path) -> None:
    item = _one(samples / "empty.xml")
    assert isinstance(item, ReportError)
    assert "empty" in item.error


def test_nice_input_containers_extract_the_same_report(samples: Path) -> None:
    folder = samples / "extract_report"
    reports = [_one(folder / name) for name in ("nice-input.xml", "nice-input.xml.gz", "nice-input.xml.zip")]
    data = [r.to_json() for r in reports]
    for item in data:
        item.pop("source")
    assert data[0] == data[1] == data[2]
    assert data[0]["report_metadata"]["report_id"] == "11038226378739404135"
    assert len(data[0]["records"]) == 20
    assert reports[2].source.endswith("nice-input.xml.zip!nice-input.xml")
    changed = _one(folder / "changed-input.xml").to_json()
    assert changed["report_metadata"]["org_name"] == "fred.com"


def test_mail_dmarc_containers_incl_empty_member_name(reports_dir: Path) -> None:
    folder = reports_dir / "mail-dmarc"
    reports = [_one(folder / name) for name in ("test_dmarc.xml", "test_dmarc.xml.gz", "test_dmarc.xml.zip")]
    assert reports[2].source.endswith("test_dmarc.xml.zip!(no name)")
    data = [r.to_json() for r in reports]
    for item in data:
        item.pop("source")
    assert data[0] == data[1] == data[2]
    assert data[0]["report_metadata"]["org_name"] == "Test Sender"
    assert data[0]["report_metadata"]["report_id"] == "1234567890"


CRY_INC = {
    "acme.xml": ("acme.com", "9391651994964116463", 1),
    "aol.xml": ("AOL", "website.com_1504828800", 1),
    "gmxnet.xml": ("GMX", "6d2be94cbabf4e838a3cf58fb4a42ab5", 1),
    "google.xml": ("google.com", "3166094538684628578", 1),
    "hardfail.xml": ("reporting org", "abcdef", 1),
    "mailru.xml": ("Mail.Ru", "28327321193681154911721360800", 1),
    "outlook.xml": ("Outlook.com", "a4f4ef0654474d3faa5dca167a34a86a", 2),
    "solamora.xml": ("solarmora.com", "9391651994964116463", 1),
    "webde.xml": ("WEB.DE", "a3345c7cb5fd4f26aa62144bf449a54b", 1),
    "yahoo.xml": ("Yahoo", "1709600619.487850", 1),
}


@pytest.mark.parametrize("name", sorted(CRY_INC))
def test_cry_inc_aggregate(reports_dir: Path, name: str) -> None:
    report = _one(reports_dir / "cry-inc-dmarc-report-viewer" / "testdata" / "dmarc-reports" / name)
    org, report_id, count = CRY_INC[name]
    assert report.report_metadata.org_name == org
    assert report.report_metadata.report_id == report_id
    assert len(report.records.materialize()) == count
    assert not report.warnings


def test_mailru_record_values(reports_dir: Path) -> None:
    report = _one(reports_dir / "cry-inc-dmarc-report-viewer" / "testdata" / "dmarc-reports" / "mailru.xml")
    record = report.records.materialize()[0]
    assert record.source_ip == "118.41.204.2"
    assert record.policy_evaluated.disposition == "reject"
    assert record.spf[0].result == "softfail" and record.spf[0].scope == "mfrom"
    assert report.report_metadata.date_range.begin == 1721260800


TLS = {
    "google.json": ("Google Inc.", 1, 0),
    "microsoft.json": ("Microsoft Corporation", 4, 0),
    "no-contact.json": ("server.com", 1, 0),
    "no-policy.json": ("Google Inc.", 1, 0),
    "no_ip_and_mx.json": ("Microsoft Corporation", 0, 3),
    "rfc-example.json": ("Company-X", 5326, 303),
}


@pytest.mark.parametrize("name", sorted(TLS))
def test_cry_inc_tls(reports_dir: Path, name: str) -> None:
    report = _one(reports_dir / "cry-inc-dmarc-report-viewer" / "testdata" / "smtp-tls-reports" / name)
    assert isinstance(report, TLSReport)
    org, ok, bad = TLS[name]
    assert (report.organization_name, report.total_successful_sessions, report.total_failure_sessions) == (org, ok, bad)


def test_parsedmarc_tls(samples: Path) -> None:
    rfc = _one(samples / "smtp_tls" / "rfc8460.json")
    data = rfc.to_json()
    assert data["kind"] == "tls"
    assert data["organization-name"] == "Company-X"
    assert data["report-id"] == "5065427c-23d3-47ca-b6e0-946ea0e8c4be"
    assert data["policies"][0]["policy"]["policy-type"] == "sts"
    assert data["policies"][0]["failure-details"][2]["failure-reason-code"] == "X509_V_ERR_PROXY_PATH_LENGTH_EXCEEDED"
    assert rfc.begin == 1459468800 and rfc.end == 1459555199
    email = _one(samples / "smtp_tls" / "google.com_smtp_tls_report.eml")
    assert isinstance(email, TLSReport)
    assert email.organization_name == "Google Inc." and email.total_successful_sessions == 48
    assert _one(samples / "smtp_tls" / "mail.ru.json").total_failure_sessions == 1
    assert _one(samples / "smtp_tls" / "smtp_tls.json").organization_name == "Example Inc."


def test_failure_reports(samples: Path) -> None:
    folder = samples / "failure"
    items = {path.name: _one(path) for path in folder.iterdir()}
    assert all(isinstance(item, FailureReport) for item in items.values()), items
    exim = items["exim_plain_text_only_no_arf_part.eml"]
    assert exim.feedback_type == "auth-failure" and exim.source_ip == "203.0.113.68"
    assert exim.reported_domain == ("example.com",) and not exim.arf
    assert exim.identity_alignment == "none"
    assert exim.original_subject == "Payment from your account."
    linkedin = items["dmarc_ruf_report_linkedin.eml"]
    assert linkedin.to_json() | {"source": ""} == items["dmarc_ruf_report_linkedin.crlf.eml"].to_json() | {"source": ""}
    assert linkedin.source_ip == "10.10.10.10" and linkedin.user_agent == "Lua/1.0"
    assert linkedin.original_rcpt_to == ("recipient@linkedin.com",)
    assert linkedin.reported_domain == ("example.com",)
    assert linkedin.auth_failure == "dmarc" and linkedin.delivery_result == "delivered"
    assert linkedin.arrival_time == 1556590140
    assert linkedin.original_headers is not None and "Authentication-Results" in linkedin.original_headers
    domain_de = next(v for k, v in items.items() if k.startswith("DMARC Failure Report for domain.de"))
    assert domain_de.original_mail_from == "sharepoint@domain.de"
    assert domain_de.original_rcpt_to == ("peter.pan@domain.de",)
    netease = next(v for k, v in items.items() if k.startswith("[Netease"))
    assert netease.source_ip == "167.89.69.24" and netease.reported_domain == ("cardinal.com",)


def test_whole_corpus_directory(reports_dir: Path) -> None:
    """A directory walk finds every report; only the non-report files (licences, XSD, empty.xml) are errors."""
    items = _all(reports_dir)
    errors = [i for i in items if isinstance(i, ReportError)]
    names = sorted(Path(e.source).name for e in errors)
    assert names == ["LICENSE", "LICENSE", "LICENSE", "empty.xml", "rua-schema.xsd"], errors
    kinds = [i.kind for i in items if not isinstance(i, ReportError)]
    assert kinds.count("aggregate") == 37
    assert kinds.count("tls") == 10
    assert kinds.count("failure") == 5
