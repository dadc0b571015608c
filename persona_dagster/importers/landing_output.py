"""Write imported events into the landing zone (one file per day) and rejected rows beside it."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import pyarrow as pa

from persona_dagster.events.schema import EVENT_COLUMNS, LANDING_FORMATS
from persona_dagster.landing.writer import write_day

REJECT_COLUMNS: tuple[str, ...] = ("line", "reason", "text")


def event_table(columns: Mapping[str, pa.Array]) -> pa.Table:
    """A table of string columns in EVENT_COLUMNS order; every schema column must be given."""
    missing = [c for c in EVENT_COLUMNS if c not in columns]
    if missing:
        raise ValueError(f"event columns missing: {missing}")
    return pa.table({c: columns[c].cast(pa.string()) for c in EVENT_COLUMNS})


def write_days(landing_root: Path, table: pa.Table, days: np.ndarray, fmt: str, name: str) -> list[Path]:
    """Write <landing>/dt=<day>/<name>.<fmt> for each distinct day; rows keep their order within a day."""
    if fmt not in LANDING_FORMATS:
        raise ValueError(f"unknown landing format {fmt!r}; expected one of {LANDING_FORMATS}")
    days = days.astype("datetime64[D]")
    if len(days) > 1 and (days[1:] < days[:-1]).any():
        order = np.argsort(days, kind="stable")
        days, table = days[order], table.take(pa.array(order))
    unique_days, starts = np.unique(days, return_index=True)
    ends = [*starts[1:], len(days)]
    return [
        write_day(landing_root, str(day), table.slice(start, end - start), fmt=fmt, name=name)
        for day, start, end in zip(unique_days, starts, ends)
    ]


def default_rejects_path(landing_root: Path, name: str) -> Path:
    """<data>/rejects/<name>.csv: beside the landing zone, so no landing sensor picks it up."""
    return Path(landing_root).parent / "rejects" / f"{name}.csv"


def write_rejects(path: Path, rows: Iterable[tuple[int, str, str]]) -> int:
    """Write (line, reason, text) rows as CSV, header only when none; returns the row count."""
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(REJECT_COLUMNS)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count
