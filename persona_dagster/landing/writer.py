"""Write a day's events into the landing zone as Parquet, CSV or JSONL (Arrow-native, atomic)."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq

from persona_dagster.events.schema import EVENT_COLUMNS, LANDING_FORMATS
from persona_dagster.landing.paths import landing_file


def as_event_table(columns: Mapping[str, Sequence[str | None]] | pa.Table) -> pa.Table:
    """String columns, schema columns first in EVENT_COLUMNS order, then any others (kept as given)."""
    table = columns if isinstance(columns, pa.Table) else pa.table(
        {name: pa.array(list(values), type=pa.string()) for name, values in columns.items()}
    )
    names = [c for c in EVENT_COLUMNS if c in table.column_names]
    names += [c for c in table.column_names if c not in EVENT_COLUMNS]
    return pa.table({c: table.column(c).cast(pa.string()) for c in names})


def _write_jsonl(table: pa.Table, path: Path) -> None:
    """One JSON object per line; Arrow has no JSON writer, DuckDB has (missing values as null)."""
    con = duckdb.connect()
    try:
        # Order-preserving parallel writes buffer rows; one thread is faster here and keeps order.
        con.execute("set threads = 1")
        con.register("day_rows", table)
        con.execute("copy day_rows to ? (format json)", [str(path)])
    finally:
        con.close()


def write_day(
    landing_root: Path,
    day: str | dt.date,
    columns: Mapping[str, Sequence[str | None]] | pa.Table,
    fmt: str = "parquet",
    name: str = "events",
) -> Path:
    """Write <landing>/dt=<day>/<name>.<fmt>; it appears atomically (temporary dot-name, then rename)."""
    if fmt not in LANDING_FORMATS:
        raise ValueError(f"unknown landing format {fmt!r}; expected one of {LANDING_FORMATS}")
    path = landing_file(landing_root, day, f"{name}.{fmt}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    table = as_event_table(columns)
    if fmt == "parquet":
        pq.write_table(table, tmp)
    elif fmt == "csv":
        pa_csv.write_csv(table, tmp, pa_csv.WriteOptions(quoting_style="needed"))
    else:
        _write_jsonl(table, tmp)
    os.replace(tmp, path)
    return path
