"""Figures about a warehouse table for asset metadata: rows in the window, in total, breakdowns (plain values)."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb


def _table_exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    row = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
    ).fetchone()
    return bool(row and row[0])


def _columns(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?", [schema, name]
    ).fetchall()
    return {r[0] for r in rows}


def query_rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence = ()) -> list[dict]:
    """A query result as a list of {column: value} (defs/metadata.table renders it)."""
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor.fetchall()]


def table_summary(con: duckdb.DuckDBPyConnection, key_path: Sequence[str], min_date: str, max_date: str) -> dict:
    """Row counts (window and total) for a [schema, table] asset, and the quarantine reasons, as plain values."""
    if len(key_path) != 2 or not _table_exists(con, key_path[0], key_path[1]):
        return {}
    schema, name = key_path
    relation = f'"{schema}"."{name}"'
    metadata: dict = {"rows_total": con.execute(f"select count(*) from {relation}").fetchone()[0]}
    if "event_date" in _columns(con, schema, name):
        window_filter = "event_date >= ?::date and event_date < ?::date"
        in_window = con.execute(f"select count(*) from {relation} where {window_filter}", [min_date, max_date]).fetchone()[0]
        metadata["rows_in_window"] = in_window
        if name == "stg_clickstream__quarantine":
            # {reason: rows}: Dagster shows a dict as JSON.
            metadata["reasons"] = dict(con.execute(
                f"select quarantine_reason, count(*) from {relation} where {window_filter} group by 1 order by 2 desc, 1",
                [min_date, max_date],
            ).fetchall())
    return metadata
