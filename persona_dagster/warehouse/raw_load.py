"""Idempotent load of one landing day into raw.events: re-loading a day replaces it."""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from persona_dagster.landing.paths import LandingPathError, day_dir, validate_file_name
from persona_dagster.landing.reader import UnreadableFileError, read_landing_file

RAW_DDL = """
create schema if not exists raw;
create table if not exists raw.events (
    event_date date not null,      -- the landing partition (dt=...)
    source_file varchar not null,  -- path relative to the landing root
    source_row bigint not null,    -- 1-based record number in that file (header excluded)
    event_id varchar, user_id varchar, session_id varchar, ts varchar,
    service varchar, page varchar, country varchar, city varchar,
    billing_tier varchar, action varchar,
    extra_columns varchar,         -- JSON of values under columns outside the schema
    parse_error varchar,           -- why the record could not be parsed
    raw_record varchar,            -- the refused record: its text, or its values as JSON
    loaded_at timestamp not null
);
create table if not exists raw.file_errors (
    event_date date not null, source_file varchar not null, error varchar not null, loaded_at timestamp not null
);
create table if not exists raw.load_log (
    event_date date not null, source_file varchar not null, rows bigint not null,
    sha256 varchar not null, loaded_at timestamp not null
);
"""


@dataclass
class DayLoad:
    """What a day's load did: rows per file and the files that could not be read."""

    day: dt.date
    rows_by_file: dict[str, int] = field(default_factory=dict)
    file_errors: dict[str, str] = field(default_factory=dict)

    @property
    def rows(self) -> int:
        return sum(self.rows_by_file.values())


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(RAW_DDL)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def landing_files(landing_root: Path, day: dt.date) -> tuple[list[Path], dict[str, str]]:
    """The readable files of a day, and the entries refused with the reason (never read)."""
    folder = day_dir(landing_root, day)
    if not folder.is_dir():
        return [], {}
    root = Path(landing_root).resolve()
    accepted: list[Path] = []
    refused: dict[str, str] = {}
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue  # temporary files of writers still in progress
        relative = f"{folder.name}/{entry.name}"
        if entry.is_symlink() or not entry.is_file():
            refused[relative] = "not a regular file (links and folders are never followed)"
            continue
        try:
            validate_file_name(entry.name)
        except LandingPathError as exc:
            refused[relative] = str(exc)
            continue
        if not entry.resolve().is_relative_to(root):
            refused[relative] = "resolves outside the landing zone"
            continue
        accepted.append(entry)
    return accepted, refused


def load_day(con: duckdb.DuckDBPyConnection, landing_root: Path, day: dt.date) -> DayLoad:
    """Replace raw rows of `day` with the current content of its landing folder, in one transaction."""
    ensure_raw_schema(con)
    files, refused = landing_files(landing_root, day)
    result = DayLoad(day=day, file_errors=dict(refused))
    loaded_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    batches: list[tuple[str, pa.Table, str]] = []
    for path in files:
        relative = f"{path.parent.name}/{path.name}"
        try:
            records = read_landing_file(path)
        except UnreadableFileError as exc:
            result.file_errors[relative] = str(exc)
            continue
        n = records.num_rows
        table = records.append_column("event_date", pa.array([day] * n, type=pa.date32()))
        table = table.append_column("source_file", pa.array([relative] * n, type=pa.string()))
        table = table.append_column("loaded_at", pa.array([loaded_at] * n, type=pa.timestamp("us")))
        batches.append((relative, table, _sha256(path)))
        result.rows_by_file[relative] = n
    con.execute("begin transaction")
    try:
        for table_name in ("raw.events", "raw.file_errors", "raw.load_log"):
            con.execute(f"delete from {table_name} where event_date = ?", [day])
        for relative, table, sha in batches:
            con.register("_landing_batch", table)
            con.execute("insert into raw.events by name select * from _landing_batch")
            con.unregister("_landing_batch")
            con.execute("insert into raw.load_log values (?, ?, ?, ?, ?)",
                        [day, relative, table.num_rows, sha, loaded_at])
        for relative, error in result.file_errors.items():
            con.execute("insert into raw.file_errors values (?, ?, ?, ?)", [day, relative, error, loaded_at])
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return result
