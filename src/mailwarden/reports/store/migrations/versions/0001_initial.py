"""The first schema: reports, aggregate records (partitioned by month on PostgreSQL), rejected inputs.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

#: The records table on PostgreSQL: declarative range partitioning by day, no
#: primary key (a partitioned table's keys must include the partition column, and
#: nothing looks a record up by itself) and no foreign key (distributed engines
#: restrict them): plain SQL that PostgreSQL-compatible engines also run.
PG_RECORDS = """
CREATE TABLE agg_records (
    report_id BIGINT NOT NULL,
    day DATE NOT NULL,
    domain VARCHAR(255) NOT NULL,
    source_ip VARCHAR(64) NOT NULL,
    count BIGINT NOT NULL,
    passed SMALLINT NOT NULL,
    forwarded SMALLINT NOT NULL,
    disposition VARCHAR(32),
    dkim VARCHAR(32),
    spf VARCHAR(32),
    reasons VARCHAR(255),
    header_from VARCHAR(255),
    envelope_from VARCHAR(255),
    envelope_to VARCHAR(255),
    dkim_domain VARCHAR(255),
    dkim_result VARCHAR(32),
    spf_domain VARCHAR(255),
    spf_result VARCHAR(32),
    auth_results TEXT
) PARTITION BY RANGE (day)
"""


def upgrade() -> None:
    op.create_table(
        "reports",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("reporter", sa.String(600), nullable=False),
        sa.Column("report_key", sa.String(600), nullable=False),
        sa.Column("org_name", sa.Text),
        sa.Column("email", sa.Text),
        sa.Column("domain", sa.String(255)),
        sa.Column("begin_ts", sa.BigInteger),
        sa.Column("end_ts", sa.BigInteger),
        sa.Column("policy_p", sa.String(32)),
        sa.Column("policy_pct", sa.Integer),
        sa.Column("record_count", sa.BigInteger, nullable=False),
        sa.Column("message_count", sa.BigInteger, nullable=False),
        sa.Column("source", sa.Text),
        sa.Column("ingested_at", sa.BigInteger, nullable=False),
        sa.Column("document", sa.Text, nullable=False),
        sa.UniqueConstraint("kind", "reporter", "report_key", name="uq_reports_identity"),
    )
    op.create_index("ix_reports_domain_begin", "reports", ["domain", "begin_ts"])
    op.create_index("ix_reports_kind_begin", "reports", ["kind", "begin_ts"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_RECORDS)
    else:
        op.create_table(
            "agg_records",
            sa.Column("report_id", sa.BigInteger, nullable=False),
            sa.Column("day", sa.Date, nullable=False),
            sa.Column("domain", sa.String(255), nullable=False),
            sa.Column("source_ip", sa.String(64), nullable=False),
            sa.Column("count", sa.BigInteger, nullable=False),
            sa.Column("passed", sa.SmallInteger, nullable=False),
            sa.Column("forwarded", sa.SmallInteger, nullable=False),
            sa.Column("disposition", sa.String(32)),
            sa.Column("dkim", sa.String(32)),
            sa.Column("spf", sa.String(32)),
            sa.Column("reasons", sa.String(255)),
            sa.Column("header_from", sa.String(255)),
            sa.Column("envelope_from", sa.String(255)),
            sa.Column("envelope_to", sa.String(255)),
            sa.Column("dkim_domain", sa.String(255)),
            sa.Column("dkim_result", sa.String(32)),
            sa.Column("spf_domain", sa.String(255)),
            sa.Column("spf_result", sa.String(32)),
            sa.Column("auth_results", sa.Text),
        )
    op.create_index("ix_agg_records_domain_day", "agg_records", ["domain", "day"])
    op.create_index("ix_agg_records_report", "agg_records", ["report_id"])
    op.create_table(
        "rejected_inputs",
        sa.Column("id", ID, primary_key=True, autoincrement=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("error", sa.Text, nullable=False),
        sa.Column("first_seen", sa.BigInteger, nullable=False),
        sa.Column("last_seen", sa.BigInteger, nullable=False),
        sa.Column("times", sa.Integer, nullable=False),
        sa.UniqueConstraint("digest", name="uq_rejected_digest"),
    )


def downgrade() -> None:
    op.drop_table("rejected_inputs")
    op.drop_table("agg_records")
    op.drop_table("reports")
