"""Load the pipeline's reference inputs (activity->task map, personas) into raw.* tables."""

from __future__ import annotations

from pathlib import Path

import duckdb

# file name -> (table, columns): a missing file yields an empty table so dbt still builds
# (real logs come without a task map; intents then fall back to the service).
REFERENCE_FILES: dict[str, tuple[str, tuple[str, ...]]] = {
    "activity_tasks.csv": ("raw.activity_tasks", ("service", "page", "task")),
    "persona_tasks.csv": ("raw.persona_tasks", ("persona", "task", "weight")),
    "personas.csv": ("raw.personas", ("persona", "description")),
    "services.csv": ("raw.services", ("service", "description")),  # the catalogue rec3 compares
}


class ReferenceFileError(ValueError):
    """A reference file whose header does not match its contract."""


def load_reference(con: duckdb.DuckDBPyConnection, reference_dir: Path) -> dict[str, int]:
    """Replace each reference table with its file's rows; returns rows per table."""
    con.execute("create schema if not exists raw")
    counts: dict[str, int] = {}
    for file_name, (table, columns) in REFERENCE_FILES.items():
        path = Path(reference_dir) / file_name
        column_defs = ", ".join(f"{c} varchar" for c in columns)
        con.execute(f"create or replace table {table} ({column_defs})")
        if path.is_file():
            header = con.execute(
                "select * from read_csv(?, header=true, all_varchar=true) limit 0", [str(path)]
            ).description
            found = tuple(d[0] for d in header)
            if set(columns) - set(found):
                raise ReferenceFileError(f"{path}: expected columns {columns}, found {found}")
            select = ", ".join(columns)
            con.execute(
                f"insert into {table} select {select} from read_csv(?, header=true, all_varchar=true)", [str(path)]
            )
        counts[table] = con.execute(f"select count(*) from {table}").fetchone()[0]
    return counts
