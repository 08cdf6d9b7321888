"""Summary tables kept in step with ``agg_records``, so that "who sends as my domain" over all
time reads thousands of rows instead of millions.

- ``source_totals``: per (domain, source, evaluation) the messages and records ever reported,
  with the first and last day seen;
- ``daily_totals``: per (domain, day) the messages and the DMARC passes.

Both are updated inside the transaction that adds a report (one ``INSERT ... SELECT ...
GROUP BY ... ON CONFLICT DO UPDATE`` each, run by the database over that report's rows),
so they can never disagree with the records.  Keys are taken in a fixed order (``ORDER BY``)
so that concurrent ingests lock rollup rows in the same order and cannot deadlock.  Text
keys are cut to :data:`KEY_CHARS` characters (a btree entry must stay small) and NULL is
stored as ``''`` (NULLs never conflict in a unique index).
"""

from __future__ import annotations

from sqlalchemy import Connection

KEY_CHARS = 100

_KEYS = ("domain", "source_ip", "passed", "forwarded", "dkim_domain", "dkim_result", "spf_domain", "spf_result")


def _key_select() -> str:
    parts = []
    for key in _KEYS:
        if key in ("passed", "forwarded"):
            parts.append(key)
        else:
            parts.append(f"COALESCE(SUBSTR({key}, 1, {KEY_CHARS}), '')")
    return ", ".join(parts)


def _sources_sql(dialect: str, where: str) -> str:
    least, greatest = ("LEAST", "GREATEST") if dialect == "postgresql" else ("MIN", "MAX")
    keys = _key_select()
    positions = ", ".join(str(i + 1) for i in range(len(_KEYS)))
    return (
        f"INSERT INTO source_totals ({', '.join(_KEYS)}, messages, records, first_day, last_day) "
        f"SELECT {keys}, SUM(count), COUNT(*), MIN(day), MAX(day) FROM agg_records {where} "
        f"GROUP BY {positions} ORDER BY {positions} "
        f"ON CONFLICT ({', '.join(_KEYS)}) DO UPDATE SET "
        f"messages = source_totals.messages + excluded.messages, "
        f"records = source_totals.records + excluded.records, "
        f"first_day = {least}(source_totals.first_day, excluded.first_day), "
        f"last_day = {greatest}(source_totals.last_day, excluded.last_day)"
    )


def _daily_sql(where: str) -> str:
    return (
        "INSERT INTO daily_totals (domain, day, messages, passed) "
        f"SELECT COALESCE(SUBSTR(domain, 1, {KEY_CHARS}), ''), day, SUM(count), SUM(count * passed) "
        f"FROM agg_records {where} GROUP BY 1, 2 ORDER BY 1, 2 "
        "ON CONFLICT (domain, day) DO UPDATE SET "
        "messages = daily_totals.messages + excluded.messages, passed = daily_totals.passed + excluded.passed"
    )


def add_report(conn: Connection, report_id: int) -> None:
    """Fold one report's records (already inserted in this transaction) into the totals."""
    dialect = conn.dialect.name
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    where = f"WHERE report_id = {mark}"
    conn.exec_driver_sql(_sources_sql(dialect, where), (report_id,))
    conn.exec_driver_sql(_daily_sql(where), (report_id,))


def rebuild(conn: Connection) -> None:
    """Fill the totals from every stored record (used by the migration that created them)."""
    dialect = conn.dialect.name
    conn.exec_driver_sql("DELETE FROM source_totals")
    conn.exec_driver_sql("DELETE FROM daily_totals")
    conn.exec_driver_sql(_sources_sql(dialect, "WHERE 1 = 1"))
    conn.exec_driver_sql(_daily_sql("WHERE 1 = 1"))
