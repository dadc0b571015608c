"""Read one landing file into raw string columns, keeping every record (nothing is dropped).

Records the loader cannot map to the event schema still become rows: a record that cannot
be parsed carries `parse_error` and its text in `raw_record`; values under columns outside
the schema are kept as JSON in `extra_columns`. dbt staging turns both into quarantine
reasons, so count in == clean + quarantined.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from persona_dagster.events.schema import EVENT_COLUMNS
from persona_dagster.landing.paths import file_format

RAW_COLUMNS: tuple[str, ...] = (*EVENT_COLUMNS, "extra_columns", "parse_error", "raw_record")


class UnreadableFileError(Exception):
    """A landing file that cannot be read at all (corrupt, wrong encoding, not the format its name says)."""


@dataclass
class RawRecords:
    """Column-major raw records of one file; source_row is the 1-based record number (header excluded)."""

    columns: dict[str, list[str | None]] = field(default_factory=lambda: {c: [] for c in RAW_COLUMNS})
    source_row: list[int] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.source_row)

    def to_arrow(self) -> pa.Table:
        return pa.table({
            "source_row": pa.array(self.source_row, pa.int64()),
            **{c: pa.array(self.columns[c], pa.string()) for c in RAW_COLUMNS},
        })

    def append(self, row_number: int, values: dict[str, str | None]) -> None:
        self.source_row.append(row_number)
        for name in RAW_COLUMNS:
            self.columns[name].append(values.get(name))


def _text(value: object) -> str | None:
    """Schema values as strings; empty strings mean missing."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    text = str(value)
    return text if text.strip() != "" else None


def _split_known(record: dict[str, object]) -> dict[str, str | None]:
    values: dict[str, str | None] = {c: _text(record.get(c)) for c in EVENT_COLUMNS}
    extra = {k: _text(v) for k, v in record.items() if k not in EVENT_COLUMNS and _text(v) is not None}
    if extra:
        values["extra_columns"] = json.dumps(extra, ensure_ascii=False, sort_keys=True)
    return values


def read_jsonl(path: Path) -> RawRecords:
    records = RawRecords()
    with open(path, encoding="utf-8") as fh:
        for line_number, line in enumerate(fh, start=1):
            if not line.strip():
                continue  # blank lines carry no record
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                records.append(line_number, {"parse_error": f"invalid JSON: {exc.msg} at column {exc.colno}",
                                             "raw_record": line.rstrip("\n")})
                continue
            if not isinstance(obj, dict):
                records.append(line_number, {"parse_error": f"expected a JSON object, got {type(obj).__name__}",
                                             "raw_record": line.rstrip("\n")})
                continue
            records.append(line_number, _split_known(obj))
    return records


def read_csv(path: Path) -> RawRecords:
    records = RawRecords()
    with open(path, encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            return records
        if len(set(header)) != len(header):
            raise UnreadableFileError(f"CSV header repeats a column name: {header}")
        width = len(header)
        for row_number, row in enumerate(reader, start=1):
            if not row:
                continue
            if len(row) < width:
                records.append(row_number, {"parse_error": f"expected {width} fields, found {len(row)}",
                                            "raw_record": ",".join(row)})
                continue
            record: dict[str, object] = dict(zip(header, row))
            for i, value in enumerate(row[width:], start=1):
                record[f"_unnamed_field_{width + i}"] = value
            records.append(row_number, _split_known(record))
    return records


def _blank_to_null(column: pa.ChunkedArray) -> pa.ChunkedArray:
    text = column.cast(pa.string())
    return pc.if_else(pc.equal(pc.utf8_trim_whitespace(text), ""), pa.scalar(None, pa.string()), text)


def read_parquet(path: Path) -> pa.Table:
    """Vectorised: a day of a million events must not go through Python one value at a time."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UnreadableFileError(f"not a readable Parquet file: {exc}") from exc
    n = table.num_rows
    nulls = pa.nulls(n, pa.string())
    try:
        text = {name: _blank_to_null(table.column(name)) for name in table.column_names}
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise UnreadableFileError(f"a column cannot be read as text: {exc}") from exc
    unknown = [name for name in table.column_names if name not in EVENT_COLUMNS]
    extra = nulls
    if unknown:
        values = {k: text[k].to_pylist() for k in unknown}
        extra = pa.array([
            json.dumps(row, sort_keys=True) if row else None
            for row in ({k: values[k][i] for k in unknown if values[k][i] is not None} for i in range(n))
        ], pa.string())
    columns = {name: text.get(name, nulls) for name in EVENT_COLUMNS}
    columns.update(extra_columns=extra, parse_error=nulls, raw_record=nulls)
    return pa.table({"source_row": pa.array(range(1, n + 1), pa.int64()), **columns})


_READERS = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet}


def read_landing_file(path: Path) -> pa.Table:
    """A landing file as a table of source_row + RAW_COLUMNS (strings); UnreadableFileError says why not."""
    fmt = file_format(path.name)
    if fmt is None:
        raise UnreadableFileError(f"unsupported file type {path.suffix!r}")
    try:
        result = _READERS[fmt](path)
        return result if isinstance(result, pa.Table) else result.to_arrow()
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(f"not UTF-8 text: {exc}") from exc
    except csv.Error as exc:
        raise UnreadableFileError(f"CSV parse error: {exc}") from exc
