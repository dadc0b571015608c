"""Write a day's events into the landing zone as Parquet, CSV or JSONL."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from persona_dagster.events.schema import EVENT_COLUMNS, LANDING_FORMATS
from persona_dagster.landing.paths import landing_file


def write_day(
    landing_root: Path,
    day: str | dt.date,
    columns: Mapping[str, Sequence[str | None]],
    fmt: str = "parquet",
    name: str = "events",
) -> Path:
    """Write one file of events for a day; columns maps column name -> values (strings or None).

    The file appears atomically (written to a temporary name, then renamed) so a
    sensor never sees half a file.
    """
    if fmt not in LANDING_FORMATS:
        raise ValueError(f"unknown landing format {fmt!r}; expected one of {LANDING_FORMATS}")
    path = landing_file(landing_root, day, f"{name}.{fmt}")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    names = [c for c in EVENT_COLUMNS if c in columns] + [c for c in columns if c not in EVENT_COLUMNS]
    if fmt == "parquet":
        table = pa.table({c: pa.array(list(columns[c]), type=pa.string()) for c in names})
        pq.write_table(table, tmp)
    elif fmt == "csv":
        with open(tmp, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(names)
            writer.writerows(zip(*(columns[c] for c in names)))
    else:
        with open(tmp, "w", encoding="utf-8") as fh:
            for row in zip(*(columns[c] for c in names)):
                record = {c: v for c, v in zip(names, row) if v is not None}
                fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    os.replace(tmp, path)
    return path
