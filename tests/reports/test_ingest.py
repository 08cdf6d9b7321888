"""Ingest of the shared report corpus into SQLite and PostgreSQL: stored values and idempotency."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
from sqlalchemy import func, select

from mailwarden.reports.ingest import ingest
from mailwarden.reports.store import Store
from mailwarden.reports.store.schema import agg_records, rejected_inputs, reports

#: What the corpus holds (dmarc-reports/): distinct reports by (kind, reporter, report id or content).
CORPUS_ADDED = {"aggregate": 31, "failure": 4, "tls": 9}
#: Copies of one report (.xml, .xml.gz and .xml.zip of mail-dmarc's sample, the CRLF twin of a failure report ...).
CORPUS_DUPLICATES = 8
#: Three LICENSE files, an XSD schema and an empty file.
CORPUS_REJECTED = 5


@pytest.fixture(scope="module")
def corpus(corpora: Path) -> Path:
    return corpora / "dmarc-reports"


def snapshot(store: Store) -> dict[str, object]:
    with store.engine.connect() as conn:
        kinds = dict(conn.execute(select(reports.c.kind, func.count()).group_by(reports.c.kind)).all())
        records = conn.execute(select(func.count(), func.sum(agg_records.c.count))).one()
        declared = conn.execute(select(func.sum(reports.c.record_count), func.sum(reports.c.message_count))
                                .where(reports.c.kind == "aggregate")).one()
        rejected = conn.execute(select(rejected_inputs.c.source, rejected_inputs.c.times)
                                .order_by(rejected_inputs.c.source)).all()
    return {"kinds": kinds, "records": tuple(records), "declared": tuple(declared),
            "rejected": [(Path(source).name, times) for source, times in rejected]}


def test_corpus_ingest_is_complete_and_idempotent(store: Store, corpus: Path) -> None:
    first = ingest(store, [corpus])
    assert (first.added, first.known, first.rejected) == (sum(CORPUS_ADDED.values()), CORPUS_DUPLICATES,
                                                          CORPUS_REJECTED)
    assert sorted(Path(source).name for source, _ in first.errors) == [
        "LICENSE", "LICENSE", "LICENSE", "empty.xml", "rua-schema.xsd"]
    state = snapshot(store)
    assert state["kinds"] == CORPUS_ADDED
    assert state["records"] == state["declared"] == (2357, 8542)  # every record of every report, once

    again = ingest(store, [corpus])
    assert (again.added, again.known, again.rejected) == (0, sum(CORPUS_ADDED.values()) + CORPUS_DUPLICATES,
                                                          CORPUS_REJECTED)
    after = snapshot(store)
    assert after["kinds"] == state["kinds"] and after["records"] == state["records"]
    assert all(times == 2 for _, times in after["rejected"])


def stored_records(store: Store, report_id: str) -> list[dict[str, object]]:
    with store.engine.connect() as conn:
        query = (select(agg_records).join_from(agg_records, reports, reports.c.id == agg_records.c.report_id)
                 .where(reports.c.report_key == report_id).order_by(agg_records.c.source_ip))
        return [dict(row._mapping) for row in conn.execute(query)]


def stored_report(store: Store, report_id: str) -> dict[str, object]:
    with store.engine.connect() as conn:
        return dict(conn.execute(select(reports).where(reports.c.report_key == report_id)).one()._mapping)


def test_stored_values_of_an_rfc9990_report(store: Store, corpus: Path) -> None:
    path = corpus / "parsedmarc/samples/aggregate/rfc9990-example.net!example.com!1700000000!1700086399.xml"
    assert ingest(store, [path]).added == 1
    report = stored_report(store, "dmarcbis-test-report-001")
    assert (report["reporter"], report["domain"], report["begin_ts"], report["end_ts"], report["policy_p"]) == (
        "example.net <postmaster@example.net>", "example.com", 1700000000, 1700086399, "reject")
    document = json.loads(report["document"])
    assert document["policy_published"]["np"] == "reject"
    assert document["policy_published"]["discovery_method"] == "treewalk"
    first, second = stored_records(store, "dmarcbis-test-report-001")[:2]
    assert (first["source_ip"], first["count"], first["passed"], first["dkim_domain"], first["dkim_result"]) == (
        "198.51.100.1", 5, 1, "example.com", "pass")
    assert str(first["day"]) == "2023-11-14"
    assert (second["source_ip"], second["count"], second["passed"], second["disposition"], second["reasons"],
            second["envelope_from"], second["spf_domain"], second["spf_result"]) == (
        "203.0.113.10", 2, 0, "reject", "other", "spoofed.example.com", "spoofed.example.com", "fail")


def test_stored_values_of_a_gzipped_report_and_an_upper_case_pass(store: Store, corpus: Path) -> None:
    samples = corpus / "parsedmarc/samples"
    ingest(store, [samples / "aggregate/fastmail.com!example.com!1516060800!1516147199!102675056.xml.gz",
                   samples / "aggregate_invalid/report_with_upper_cased_pass.xml"])
    report = stored_report(store, "102675056")
    assert (report["org_name"], report["domain"], report["record_count"], report["message_count"]) == (
        "FastMail Pty Ltd", "indemed.com", 1, 1)
    [row] = stored_records(store, "102675056")
    assert (row["source_ip"], row["header_from"], row["envelope_to"], row["spf_result"], row["passed"]) == (
        "104.195.80.20", "example.com", "fastmail.fm", "softfail", 0)
    with store.engine.connect() as conn:
        upper = conn.execute(select(agg_records.c.dkim, agg_records.c.spf, agg_records.c.passed)
                             .join_from(agg_records, reports, reports.c.id == agg_records.c.report_id)
                             .where(reports.c.source.like("%upper_cased%"))).all()
    assert upper and all(row.passed == 1 for row in upper if "pass" in (row.dkim, row.spf))
    assert all(value in ("pass", "fail", None) for row in upper for value in (row.dkim, row.spf))


def test_tls_and_failure_reports_from_the_corpus(store: Store, corpus: Path) -> None:
    ingest(store, [corpus / "parsedmarc/samples/smtp_tls/rfc8460.json",
                   corpus / "parsedmarc/samples/failure"])
    tls = stored_report(store, "5065427c-23d3-47ca-b6e0-946ea0e8c4be")
    assert (tls["kind"], tls["org_name"], tls["domain"], tls["begin_ts"], tls["message_count"]) == (
        "tls", "Company-X", "company-y.example", 1459468800, 5326 + 303)
    with store.engine.connect() as conn:
        failures = conn.execute(select(reports.c.domain, reports.c.begin_ts).where(reports.c.kind == "failure")
                                .order_by(reports.c.domain)).all()
    assert ("cardinal.com", 1538124522) in failures and ("domain.de", 1538385627) in failures


def test_a_truncated_report_is_rejected_whole(store: Store, tmp_path: Path, corpus: Path) -> None:
    """A report whose XML breaks after some records is kept as rejected; none of its records stay."""
    xml = (corpus / "parsedmarc/samples/aggregate/!large-example.com!1711897200!1711983600.xml").read_bytes()
    cut = xml[: int(len(xml) * 0.8)] + b"<record><row><source_ip>1.2.3.4</source_ip><count>\x00"
    (tmp_path / "cut.xml.gz").write_bytes(gzip.compress(cut))
    result = ingest(store, [tmp_path / "cut.xml.gz"])
    state = snapshot(store)
    if result.added:  # the parser recovered what it could: then every record it gave is there
        assert state["records"] == state["declared"]
    else:
        assert result.rejected == 1 and state["records"][0] == 0 and state["kinds"] == {}
