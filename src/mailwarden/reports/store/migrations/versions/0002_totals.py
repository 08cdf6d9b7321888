"""Summary tables ``source_totals`` and ``daily_totals`` (see mailwarden.reports.store.rollups),
filled from the records already stored.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from mailwarden.reports.store import rollups

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "source_totals",
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("source_ip", sa.String(64), nullable=False),
        sa.Column("passed", sa.SmallInteger, nullable=False),
        sa.Column("forwarded", sa.SmallInteger, nullable=False),
        sa.Column("dkim_domain", sa.String(255), nullable=False),
        sa.Column("dkim_result", sa.String(32), nullable=False),
        sa.Column("spf_domain", sa.String(255), nullable=False),
        sa.Column("spf_result", sa.String(32), nullable=False),
        sa.Column("messages", sa.BigInteger, nullable=False),
        sa.Column("records", sa.BigInteger, nullable=False),
        sa.Column("first_day", sa.Date, nullable=False),
        sa.Column("last_day", sa.Date, nullable=False),
        sa.UniqueConstraint("domain", "source_ip", "passed", "forwarded", "dkim_domain", "dkim_result",
                            "spf_domain", "spf_result", name="uq_source_totals"),
    )
    op.create_table(
        "daily_totals",
        sa.Column("domain", sa.String(255), nullable=False),
        sa.Column("day", sa.Date, nullable=False),
        sa.Column("messages", sa.BigInteger, nullable=False),
        sa.Column("passed", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("domain", "day", name="uq_daily_totals"),
    )
    rollups.rebuild(op.get_bind())


def downgrade() -> None:
    op.drop_table("daily_totals")
    op.drop_table("source_totals")
