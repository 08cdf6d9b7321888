"""The report store, the same tests on SQLite and on a real PostgreSQL (``store`` fixture)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select, text
from tests.reports.helpers import DAY, T0, header, many, record

from mailwarden.reports.store import HEAD_REVISION, Outcome, ReportRefused, Store, StoreError
from mailwarden.reports.store.engine import current_revision, resolve_url
from mailwarden.reports.store.schema import agg_records, rejected_inputs, reports
from mailwarden.reports.store.writer import BATCH, expand_auth


def count(store: Store, table) -> int:  # type: ignore[no-untyped-def]
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_opening_applies_the_shipped_migrations(store: Store, store_url: str) -> None:
    assert current_revision(store.engine) == HEAD_REVISION
    again = Store.open(store_url)  # opening an up-to-date store is a no-op
    assert current_revision(again.engine) == HEAD_REVISION
    again.close()


def test_head_revision_is_the_newest_shipped_migration() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", "mailwarden.reports.store:migrations")
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_an_aggregate_report_is_stored_with_its_values(store: Store) -> None:
    records = [
        record("192.0.2.1", 7),
        record("203.0.113.9", 2, dkim="fail", spf="fail", reasons=("forwarded",), disposition="quarantine",
               dkim_auth=[("Example.COM", "fail"), ("lists.example.org", "pass")], spf_auth=[("lists.example.org", "pass")]),
    ]
    assert store.writer.add_aggregate(header("r-1", domain="Example.COM"), iter(records), source="a.xml") is Outcome.ADDED
    with store.engine.connect() as conn:
        report = conn.execute(select(reports)).one()._mapping
        rows = [dict(r._mapping) for r in conn.execute(select(agg_records).order_by(agg_records.c.source_ip))]
    assert (report["kind"], report["reporter"], report["report_key"]) == (
        "aggregate", "google.com <noreply-dmarc-support@google.com>", "r-1")
    assert (report["domain"], report["begin_ts"], report["end_ts"], report["policy_p"], report["policy_pct"]) == (
        "example.com", T0, T0 + DAY - 1, "none", 100)
    assert (report["record_count"], report["message_count"], report["source"]) == (2, 9, "a.xml")
    assert "records" not in json.loads(report["document"])
    assert json.loads(report["document"])["report_metadata"]["report_id"] == "r-1"
    first, second = rows
    assert (first["source_ip"], first["count"], first["passed"], first["forwarded"], str(first["day"])) == (
        "192.0.2.1", 7, 1, 0, "2024-03-01")
    assert (second["passed"], second["forwarded"], second["disposition"], second["reasons"]) == (
        0, 1, "quarantine", "forwarded")
    # the passing DKIM result is the one kept for recognising the service
    assert (second["dkim_domain"], second["dkim_result"], second["spf_domain"], second["spf_result"]) == (
        "lists.example.org", "pass", "lists.example.org", "pass")
    assert expand_auth(second["auth_results"])["dkim"] == [
        {"domain": "Example.COM", "selector": "s1", "result": "fail", "human_result": None},
        {"domain": "lists.example.org", "selector": "s1", "result": "pass", "human_result": None}]
    assert expand_auth(second["auth_results"])["spf"][0]["scope"] == "mfrom"


def test_the_same_report_again_adds_nothing(store: Store) -> None:
    assert store.writer.add_aggregate(header("r-1"), iter([record("192.0.2.1", 1)]), source="a") is Outcome.ADDED
    again = store.writer.add_aggregate(header("r-1", org="Google.com"), iter([record("192.0.2.1", 1)]), source="b")
    assert again is Outcome.KNOWN
    # another reporter with the same report id is another report
    other = store.writer.add_aggregate(header("r-1", org="yahoo.com", email="dmarc@yahoo.com"),
                                       iter([record("192.0.2.1", 1)]), source="c")
    assert other is Outcome.ADDED
    assert (count(store, reports), count(store, agg_records)) == (2, 2)


def test_records_are_written_in_batches_from_an_iterator(store: Store) -> None:
    consumed = 0

    def stream():  # type: ignore[no-untyped-def]
        nonlocal consumed
        for item in many(2 * BATCH + 17):
            consumed += 1
            yield item

    store.writer.add_aggregate(header("big"), stream(), source="big.xml")
    assert consumed == count(store, agg_records) == 2 * BATCH + 17


def test_a_report_that_fails_midway_leaves_nothing_and_can_be_added_later(store: Store) -> None:
    def broken():  # type: ignore[no-untyped-def]
        yield from many(BATCH + 5)
        raise ValueError("truncated XML")

    with pytest.raises(ValueError, match="truncated"):
        store.writer.add_aggregate(header("r-9"), broken(), source="bad.xml")
    assert (count(store, reports), count(store, agg_records)) == (0, 0)
    assert store.writer.add_aggregate(header("r-9"), many(3), source="good.xml") is Outcome.ADDED
    assert count(store, agg_records) == 3


@pytest.mark.parametrize(("begin", "message"), [(None, "no date range"), (-10**9, "outside"), (4200000000, "outside"), (10**13, "impossible|outside")])
def test_impossible_dates_are_refused(store: Store, begin: int | None, message: str) -> None:
    report = header("r-x")
    report["report_metadata"]["date_range"] = {"begin": begin, "end": None}
    with pytest.raises(ReportRefused, match=message):
        store.writer.add_aggregate(report, many(1), source="x")
    assert count(store, reports) == 0


def test_a_report_without_id_is_refused(store: Store) -> None:
    with pytest.raises(ReportRefused, match="report_id"):
        store.writer.add_aggregate(header(""), many(1), source="x")


def test_attacker_text_is_cut_not_fatal(store: Store) -> None:
    hostile = record("192.0.2.1" * 20, 10**30, header_from="x" * 5000)
    hostile["policy_evaluated"]["disposition"] = "\udcff" * 100
    assert store.writer.add_aggregate(header("r-h"), iter([hostile]), source="h") is Outcome.ADDED
    with store.engine.connect() as conn:
        row = conn.execute(select(agg_records)).one()._mapping
    assert len(row["header_from"]) == 255 and len(row["source_ip"]) == 64
    assert 0 < row["count"] <= 2**40


def test_rejected_inputs_are_kept_once_with_their_error(store: Store) -> None:
    store.writer.add_rejected("bad.xml", "not a DMARC report: no <feedback> element")
    store.writer.add_rejected("bad.xml", "not a DMARC report: no <feedback> element")
    store.writer.add_rejected("other.zip", "zip member too large")
    with store.engine.connect() as conn:
        rows = conn.execute(select(rejected_inputs).order_by(rejected_inputs.c.source)).all()
    assert [(r.source, r.times) for r in rows] == [("bad.xml", 2), ("other.zip", 1)]


def test_tls_and_failure_reports_are_idempotent(store: Store) -> None:
    tls = {"kind": "tls", "organization-name": "Google Inc.", "contact-info": "smtp-tls-reporting@google.com",
           "report-id": "2024-03-01T00:00:00Z_example.com",
           "date-range": {"start-datetime": "2024-03-01T00:00:00Z", "end-datetime": "2024-03-01T23:59:59Z"},
           "policies": [{"policy": {"policy-type": "sts", "policy-domain": "example.com"},
                         "summary": {"total-successful-session-count": 10, "total-failure-session-count": 2}}]}
    failure = {"kind": "failure", "feedback_type": "auth-failure", "user_agent": "Lua/1.0", "version": "1",
               "arrival_date": "Thu, 29 Feb 2024 10:00:00 +0000", "source_ip": "192.0.2.66",
               "reported_domain": ["example.com"], "auth_failure": "dmarc"}
    assert store.writer.add_document("tls", tls, source="t.json") is Outcome.ADDED
    assert store.writer.add_document("tls", tls, source="t2.json") is Outcome.KNOWN
    assert store.writer.add_document("failure", failure, source="f.eml") is Outcome.ADDED
    assert store.writer.add_document("failure", dict(failure, source="g.eml"), source="g.eml") is Outcome.KNOWN
    with store.engine.connect() as conn:
        rows = {r.kind: r for r in conn.execute(select(reports))}
    assert (rows["tls"].domain, rows["tls"].begin_ts, rows["tls"].message_count) == ("example.com", T0, 12)
    assert (rows["failure"].domain, rows["failure"].begin_ts) == ("example.com", T0 - 14 * 3600)


def test_postgres_records_are_partitioned_by_month(store: Store) -> None:
    if store.dialect != "postgresql":
        pytest.skip("partitioning is PostgreSQL's")
    store.writer.add_aggregate(header("a", begin=T0), many(2), source="a")
    store.writer.add_aggregate(header("b", begin=T0 + 40 * DAY), many(2), source="b")
    store.writer.add_aggregate(header("c", begin=T0 + 2 * DAY), many(2), source="c")
    store.writer.add_aggregate(header("old", begin=300_000_000), many(2), source="old")  # 1979: RFC 9990's sample
    with store.engine.connect() as conn:
        parts = conn.execute(text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'agg_records' ORDER BY 1")).scalars().all()
        kind = conn.execute(text("SELECT relkind FROM pg_class WHERE relname = 'agg_records'")).scalar()
    assert kind == "p"
    assert parts == ["agg_records_2024_03", "agg_records_2024_04", "agg_records_before_2000"]
    assert count(store, agg_records) == 8


def test_store_urls(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("MAILWARDEN_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert resolve_url(None) == f"sqlite:///{tmp_path}/xdg/mailwarden/reports.db"
    assert (tmp_path / "xdg" / "mailwarden").is_dir()
    monkeypatch.setenv("MAILWARDEN_DB", str(tmp_path / "env.db"))
    assert resolve_url(None) == f"sqlite:///{tmp_path}/env.db"
    assert resolve_url("postgresql://u@h:5/db") == "postgresql+psycopg://u@h:5/db"
    with pytest.raises(StoreError, match="unsupported"):
        Store.open("mysql://u@h/db")


def test_an_unreachable_database_is_a_clear_error(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.support.nsd import free_port

    with pytest.raises(StoreError, match="cannot open the report store"):
        Store.open(f"postgresql://nobody:secret@127.0.0.1:{free_port()}/none")
    try:
        Store.open(f"postgresql://nobody:secret@127.0.0.1:{free_port()}/none")
    except StoreError as exc:
        assert "secret" not in str(exc)


def test_totals_agree_with_the_records(store: Store) -> None:
    from mailwarden.reports import analysis

    for n in range(3):
        store.writer.add_aggregate(header(f"t-{n}", begin=T0 + n * DAY), many(300), source="t")
        store.writer.add_aggregate(header(f"u-{n}", org="yahoo.com", email="d@yahoo.com", begin=T0 + n * DAY),
                                   many(200), source="u")
    window_all = analysis.window(since=dt.date(2000, 1, 1))  # forces the scan of the records
    from_records = sorted(analysis.load_traffic(store, window_all), key=repr)
    from_totals = sorted(analysis.load_traffic(store, analysis.window()), key=repr)
    assert from_totals == from_records and sum(t.messages for t in from_totals) == 3 * (
        sum(1 + i % 3 for i in range(300)) + sum(1 + i % 3 for i in range(200)))


def test_hostile_keys_fit_the_totals(store: Store) -> None:
    report = header("h-1", domain="é" * 250 + ".example")
    hostile = record("192.0.2.1", 1, header_from="x", dkim="fail", dkim_auth=[("ü" * 250, "pass")])
    assert store.writer.add_aggregate(report, iter([hostile]), source="h") is Outcome.ADDED


def test_the_totals_migration_fills_from_stored_records(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from alembic import command
    from alembic.config import Config

    from mailwarden.reports.store.engine import create_store_engine
    from mailwarden.reports.store.schema import daily_totals, source_totals

    url = str(tmp_path / "old.db")
    engine = create_store_engine(url)
    config = Config()
    config.set_main_option("script_location", "mailwarden.reports.store:migrations")
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
        conn.execute(agg_records.insert(), [
            {"report_id": 1, "day": dt.date(2024, 3, 1), "domain": "example.com", "source_ip": "192.0.2.1",
             "count": 4, "passed": 1, "forwarded": 0},
            {"report_id": 2, "day": dt.date(2024, 3, 1), "domain": "example.com", "source_ip": "192.0.2.1",
             "count": 3, "passed": 1, "forwarded": 0},
        ])
    engine.dispose()
    store = Store.open(url)  # upgrades to the head revision
    with store.engine.connect() as conn:
        assert conn.execute(select(source_totals.c.messages, source_totals.c.records)).all() == [(7, 2)]
        assert conn.execute(select(daily_totals.c.messages, daily_totals.c.passed)).all() == [(7, 7)]
    store.close()
