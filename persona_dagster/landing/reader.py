"""Read one landing file into raw string columns, keeping every record (nothing is dropped).

Records the loader cannot map to the event schema still become rows: a record that cannot
be parsed, or whose values cannot be kept as text (control characters, JSON objects, arrays or
booleans, lone surrogates, values over the field limit), carries `parse_error` (what and which
column or line) and its text in `raw_record`; values under columns outside the schema are kept as
JSON in `extra_columns`. dbt staging turns both into quarantine reasons, so count in == clean +
quarantined.
"""

from __future__ import annotations

import csv
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from persona_dagster.events.schema import EVENT_COLUMNS
from persona_dagster.landing.paths import file_format

RAW_COLUMNS: tuple[str, ...] = (*EVENT_COLUMNS, "extra_columns", "parse_error", "raw_record")

# The one knob for how long a single value may be, in characters (all formats; reported in reasons).
MAX_FIELD_CHARS_ENV = "PERSONA_DAGSTER_MAX_FIELD_CHARS"
DEFAULT_MAX_FIELD_CHARS = 1 << 20
# C0, DEL and C1 controls: never part of an id, name or time, and NUL, CR or LF break the tools downstream.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_JSON_KINDS = {dict: "object", list: "array", bool: "boolean"}


class UnreadableFileError(Exception):
    """A landing file that cannot be read at all (corrupt, wrong encoding, not the format its name says)."""


def max_field_chars() -> int:
    """The longest value a record may carry: $PERSONA_DAGSTER_MAX_FIELD_CHARS, default 1 Mi characters."""
    text = os.environ.get(MAX_FIELD_CHARS_ENV) or str(DEFAULT_MAX_FIELD_CHARS)
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{MAX_FIELD_CHARS_ENV} must be a positive number of characters, got {text!r}")
    return int(text)


@dataclass
class RawRecords:
    """Column-major raw records of one file; source_row is the 1-based record number (header excluded).

    In CSV it is the line the record starts on, counted after the header (the same unless a value spans lines).
    """

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

    def refuse(self, row_number: int, reason: str, text: str) -> None:
        """A record kept only as its text, with the reason it cannot be loaded."""
        self.append(row_number, {"parse_error": reason, "raw_record": _clip(text)})


def _clip(text: str) -> str:
    """Quarantined text stays within the field limit too."""
    limit = max_field_chars()
    return text if len(text) <= limit else f"{text[:limit]}... [clipped: {len(text)} characters]"


def _text(value: object) -> str | None:
    """Schema values as strings; empty strings mean missing."""
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=True, sort_keys=True)
    text = str(value)
    return text if text.strip() != "" else None


def _split_known(record: dict[str, object]) -> dict[str, str | None]:
    values: dict[str, str | None] = {c: _text(record.get(c)) for c in EVENT_COLUMNS}
    extra = {k: _text(v) for k, v in record.items() if k not in EVENT_COLUMNS and _text(v) is not None}
    if extra:
        # ASCII escapes keep any key or value storable (a lone surrogate is not UTF-8).
        values["extra_columns"] = json.dumps(extra, ensure_ascii=True, sort_keys=True)
    return values


def _json_value_problem(obj: dict[str, object]) -> str | None:
    """Why a JSON record's schema values are not text (objects, arrays, booleans, lone surrogates), or None."""
    for name in EVENT_COLUMNS:
        value = obj.get(name)
        if type(value) in _JSON_KINDS:
            return f"column {name}: a JSON {_JSON_KINDS[type(value)]} where text or a number is expected"
        if isinstance(value, str) and (bad := _SURROGATE.search(value)):
            return f"column {name}: lone surrogate U+{ord(bad.group()):04X} at position {bad.start()} (not valid Unicode)"
    return None


def read_jsonl(path: Path) -> RawRecords:
    records = RawRecords()
    with open(path, encoding="utf-8") as fh:
        for line_number, line in enumerate(fh, start=1):
            if not line.strip():
                continue  # blank lines carry no record
            line = line.rstrip("\r\n")
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                records.refuse(line_number, f"invalid JSON: {exc.msg} at column {exc.colno}", line)
                continue
            problem = (f"expected a JSON object, got {type(obj).__name__}" if not isinstance(obj, dict)
                       else _json_value_problem(obj))
            if problem:
                records.refuse(line_number, problem, line)
            else:
                records.append(line_number, _split_known(obj))
    return records


def _csv_problem(exc: csv.Error) -> str:
    why = str(exc)
    if "field limit" in why:
        return f"a field is longer than the field limit of {max_field_chars()} characters ({MAX_FIELD_CHARS_ENV})"
    if "new-line character" in why:
        return "a carriage return inside an unquoted value"
    return why


def _csv_record(lines: list[str], start: int, width: int) -> tuple[list[str] | None, str | None, int]:
    """The record starting at lines[start]: its fields or why not, and how many lines it took.

    A quoted value may span lines, but a quote left open must not swallow the rows after it: a
    record over several lines that does not parse cleanly into exactly `width` fields is only its first line.
    """
    used = 0

    def feed():
        nonlocal used
        while start + used < len(lines):
            used += 1
            yield lines[start + used - 1]

    try:
        row = next(csv.reader(feed(), strict=True), [])
    except csv.Error as exc:
        if used <= 1:
            return None, _csv_problem(exc), 1
        row = None
    # More fields than the header is how an open quote that closed on a later row's quote looks.
    if used > 1 and (row is None or len(row) != width):
        return None, "unterminated quoted field (a quote opened on this line is not closed where a record ends)", 1
    return row, None, used


def read_csv(path: Path) -> RawRecords:
    records = RawRecords()
    csv.field_size_limit(max_field_chars())
    # utf-8-sig: spreadsheet exports start with a byte-order mark that is not part of the first name;
    # newline="\n": a line ends only at LF, so a stray CR inside a value is an error, not a new record.
    with open(path, encoding="utf-8-sig", newline="\n") as fh:
        lines = fh.readlines()
    if not lines:
        return records
    header, problem, used = _csv_record(lines, 0, 0)
    if problem or used > 1:
        raise UnreadableFileError(f"CSV header: {problem or 'a quoted name spans lines'}")
    header = [h.strip() for h in header]
    if len(set(header)) != len(header):
        raise UnreadableFileError(f"CSV header repeats a column name: {header}")
    width, start = len(header), 1
    while start < len(lines):
        row, problem, used = _csv_record(lines, start, width)
        row_number, line = start, lines[start]  # row numbers count physical lines after the header
        start += used
        if row == []:
            continue  # blank lines carry no record
        if problem or len(row) < width:
            reason = problem or f"expected {width} fields, found {len(row)}"
            records.refuse(row_number, f"CSV line {row_number + 1}: {reason}", line.rstrip("\r\n"))
            continue
        record: dict[str, object] = dict(zip(header, row))
        for i, value in enumerate(row[width:], start=1):
            record[f"_unnamed_field_{width + i}"] = value
        records.append(row_number, _split_known(record))
    return records


def _blank_to_null(column: pa.ChunkedArray) -> pa.ChunkedArray:
    text = column.cast(pa.string())
    return pc.if_else(pc.equal(pc.utf8_trim_whitespace(text), ""), pa.scalar(None, pa.string()), text)


def _not_text(data_type: pa.DataType) -> bool:
    """Parquet types that are no event value: booleans and nested values (structs, lists, maps)."""
    return pa.types.is_boolean(data_type) or pa.types.is_nested(data_type)


def _column_text(column: pa.ChunkedArray) -> pa.ChunkedArray:
    if not _not_text(column.type):
        return _blank_to_null(column)
    # As JSON, so a quarantined record still shows what was there.
    return pa.chunked_array([pa.array([None if v is None else json.dumps(v, default=str) for v in column.to_pylist()],
                                      pa.string())])


def read_parquet(path: Path) -> pa.Table:
    """Vectorised: a day of a million events must not go through Python one value at a time."""
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise UnreadableFileError(f"not a readable Parquet file: {exc}") from exc
    n = table.num_rows
    nulls = pa.nulls(n, pa.string())
    try:
        text = {name: _column_text(table.column(name)) for name in table.column_names}
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
    wrong_types = {name: str(table.schema.field(name).type) for name in EVENT_COLUMNS
                   if name in table.column_names and _not_text(table.schema.field(name).type)}
    return _refuse_bad_values(pa.table({"source_row": pa.array(range(1, n + 1), pa.int64()), **columns}), wrong_types)


def _value_problem(name: str, text: str, wrong_type: str | None, limit: int) -> str | None:
    if wrong_type:
        return f"column {name}: a {wrong_type} value where text or a number is expected"
    if len(text) > limit:
        return f"column {name}: {len(text)} characters, over the field limit of {limit} ({MAX_FIELD_CHARS_ENV})"
    if bad := _CONTROL.search(text):
        return f"column {name}: control character U+{ord(bad.group()):04X} at position {bad.start()}"
    return None


def _refuse_bad_values(table: pa.Table, wrong_types: dict[str, str] | None = None) -> pa.Table:
    """Records whose schema values hold control characters, exceed the field limit or have a non-text type
    keep only parse_error and their values as JSON in raw_record (found vectorised, explained per bad row)."""
    wrong_types = wrong_types or {}
    limit = max_field_chars()
    flagged = pa.chunked_array([pa.array([False] * table.num_rows, pa.bool_())])
    for name in EVENT_COLUMNS:
        column = table.column(name)
        hit = pc.or_(pc.match_substring_regex(column, _CONTROL.pattern), pc.greater(pc.utf8_length(column), limit))
        if name in wrong_types:
            hit = pc.is_valid(column)
        flagged = pc.or_(flagged, pc.fill_null(hit, False))
    flagged = pc.and_(flagged, pc.is_null(table.column("parse_error")))  # already refused rows keep their reason
    rows = pc.indices_nonzero(flagged).to_pylist()
    if not rows:
        return table
    errors, raw = table.column("parse_error").to_pylist(), table.column("raw_record").to_pylist()
    for i, record in zip(rows, table.take(rows).to_pylist()):
        values = {c: record[c] for c in EVENT_COLUMNS if record[c] is not None}
        errors[i] = next(p for c, v in values.items() if (p := _value_problem(c, v, wrong_types.get(c), limit)))
        raw[i] = _clip(json.dumps(values))
    columns = {c: table.column(c) for c in table.column_names}
    for name in EVENT_COLUMNS:
        columns[name] = pc.if_else(flagged, pa.scalar(None, pa.string()), columns[name])
    columns.update(parse_error=pa.array(errors, pa.string()), raw_record=pa.array(raw, pa.string()))
    return pa.table(columns)


_READERS = {"jsonl": read_jsonl, "csv": read_csv, "parquet": read_parquet}


def read_landing_file(path: Path) -> pa.Table:
    """A landing file as a table of source_row + RAW_COLUMNS (strings); UnreadableFileError says why not."""
    fmt = file_format(path.name)
    if fmt is None:
        raise UnreadableFileError(f"unsupported file type {path.suffix!r}")
    try:
        result = _READERS[fmt](path)
        return result if isinstance(result, pa.Table) else _refuse_bad_values(result.to_arrow())
    except UnicodeDecodeError as exc:
        raise UnreadableFileError(f"not UTF-8 text: {exc}") from exc
