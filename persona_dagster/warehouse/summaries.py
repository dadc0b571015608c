"""Figures about a warehouse table for asset metadata: rows in the window, in total, breakdowns."""

from __future__ import annotations

from collections.abc import Sequence

import dagster as dg
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


def markdown_table(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence = ()) -> str:
    """A query result as a Markdown table (for dg.MetadataValue.md)."""
    cursor = con.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    rows = cursor.fetchall()
    lines = ["| " + " | ".join(names) + " |", "|" + "---|" * len(names)]
    lines += ["| " + " | ".join("" if v is None else str(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def table_summary(con: duckdb.DuckDBPyConnection, key_path: Sequence[str], min_date: str, max_date: str) -> dict:
    """Row counts (window and total) for a [schema, table] asset, and the quarantine reasons."""
    if len(key_path) != 2 or not _table_exists(con, key_path[0], key_path[1]):
        return {}
    schema, name = key_path
    relation = f'"{schema}"."{name}"'
    metadata: dict = {"rows_total": dg.MetadataValue.int(con.execute(f"select count(*) from {relation}").fetchone()[0])}
    if "event_date" in _columns(con, schema, name):
        window_filter = "event_date >= ?::date and event_date < ?::date"
        in_window = con.execute(f"select count(*) from {relation} where {window_filter}", [min_date, max_date]).fetchone()[0]
        metadata["rows_in_window"] = dg.MetadataValue.int(in_window)
        if name == "stg_clickstream__quarantine":
            metadata["reasons"] = dg.MetadataValue.md(markdown_table(
                con,
                f"select quarantine_reason, count(*) as rows from {relation} where {window_filter} "
                "group by 1 order by 2 desc, 1",
                [min_date, max_date],
            ))
    return metadata
