"""The report store's tables (SQLAlchemy Core), shared by the migrations and the queries.

Plain types only (integers, text, dates) so that the same schema runs on SQLite,
PostgreSQL and PostgreSQL-compatible distributed engines.  On PostgreSQL the
``agg_records`` table is range-partitioned by ``day`` (one partition per month,
created as needed: :mod:`mailwarden.reports.store.partitions`).

- ``reports``: one row per report (aggregate, failure or TLS), identified by
  ``(kind, reporter, report_key)``: the reporter (organization and e-mail) and its
  report id.  ``document`` is the report's JSON (SPEC section 12) without the
  aggregate records.
- ``agg_records``: one row per aggregate ``<record>`` (RFC 7489 appendix C), with the
  report's policy domain and begin day copied in so that the analysis reads one table.
- ``rejected_inputs``: inputs that could not be parsed, with the error (listed by
  ``reports summary``).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
)

#: An auto-incrementing 64-bit key (BIGSERIAL on PostgreSQL, INTEGER PRIMARY KEY = rowid on SQLite).
ID = BigInteger().with_variant(Integer(), "sqlite")

metadata = MetaData()

reports = Table(
    "reports",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("kind", String(16), nullable=False),
    Column("reporter", String(600), nullable=False),
    Column("report_key", String(600), nullable=False),
    Column("org_name", Text),
    Column("email", Text),
    Column("domain", String(255)),
    Column("begin_ts", BigInteger),
    Column("end_ts", BigInteger),
    Column("policy_p", String(32)),
    Column("policy_pct", Integer),
    Column("record_count", BigInteger, nullable=False, default=0),
    Column("message_count", BigInteger, nullable=False, default=0),
    Column("source", Text),
    Column("ingested_at", BigInteger, nullable=False),
    Column("document", Text, nullable=False),
    UniqueConstraint("kind", "reporter", "report_key", name="uq_reports_identity"),
)
Index("ix_reports_domain_begin", reports.c.domain, reports.c.begin_ts)
Index("ix_reports_kind_begin", reports.c.kind, reports.c.begin_ts)

agg_records = Table(
    "agg_records",
    metadata,
    Column("report_id", BigInteger, nullable=False),
    Column("day", Date, nullable=False),
    Column("domain", String(255), nullable=False),
    Column("source_ip", String(64), nullable=False),
    Column("count", BigInteger, nullable=False),
    Column("passed", SmallInteger, nullable=False),
    Column("forwarded", SmallInteger, nullable=False),
    Column("disposition", String(32)),
    Column("dkim", String(32)),
    Column("spf", String(32)),
    Column("reasons", String(255)),
    Column("header_from", String(255)),
    Column("envelope_from", String(255)),
    Column("envelope_to", String(255)),
    Column("dkim_domain", String(255)),
    Column("dkim_result", String(32)),
    Column("spf_domain", String(255)),
    Column("spf_result", String(32)),
    Column("auth_results", Text),
)
Index("ix_agg_records_domain_day", agg_records.c.domain, agg_records.c.day)
Index("ix_agg_records_report", agg_records.c.report_id)

#: Totals kept in step with agg_records (mailwarden.reports.store.rollups); '' stands for NULL.
source_totals = Table(
    "source_totals",
    metadata,
    Column("domain", String(255), nullable=False),
    Column("source_ip", String(64), nullable=False),
    Column("passed", SmallInteger, nullable=False),
    Column("forwarded", SmallInteger, nullable=False),
    Column("dkim_domain", String(255), nullable=False),
    Column("dkim_result", String(32), nullable=False),
    Column("spf_domain", String(255), nullable=False),
    Column("spf_result", String(32), nullable=False),
    Column("messages", BigInteger, nullable=False),
    Column("records", BigInteger, nullable=False),
    Column("first_day", Date, nullable=False),
    Column("last_day", Date, nullable=False),
    UniqueConstraint("domain", "source_ip", "passed", "forwarded", "dkim_domain", "dkim_result", "spf_domain",
                     "spf_result", name="uq_source_totals"),
)

daily_totals = Table(
    "daily_totals",
    metadata,
    Column("domain", String(255), nullable=False),
    Column("day", Date, nullable=False),
    Column("messages", BigInteger, nullable=False),
    Column("passed", BigInteger, nullable=False),
    UniqueConstraint("domain", "day", name="uq_daily_totals"),
)

rejected_inputs = Table(
    "rejected_inputs",
    metadata,
    Column("id", ID, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),
    Column("digest", String(64), nullable=False),
    Column("error", Text, nullable=False),
    Column("first_seen", BigInteger, nullable=False),
    Column("last_seen", BigInteger, nullable=False),
    Column("times", Integer, nullable=False, default=1),
    UniqueConstraint("digest", name="uq_rejected_digest"),
)
