"""Publish the public marts as Parquet snapshots, so readers never hold a lock on the warehouse.

Layout under <data dir>/published/: one folder per snapshot (<schema>/<table>.parquet), a `current`
symlink swapped by rename, and published.duckdb, a small catalog of views over current/ (replaced by
rename too). A reader may keep published.duckdb open for as long as it likes: the writer never opens it,
and each query reads whichever snapshot `current` names when it starts.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from pathlib import Path

import duckdb

PUBLIC_SCHEMAS = ("marts",)  # the day marts and the ml marts (dbt schema marts)
CATALOG = "published.duckdb"  # not marts.duckdb: a file named like a schema makes "marts.x" ambiguous
CURRENT = "current"
# Older snapshots stay a while: a query that started on one is not cut off by the next publish.
KEEP_SNAPSHOTS = 3
_PARTIAL = ".partial"


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def public_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, table) of every public mart in the warehouse, in order."""
    marks = ", ".join("?" for _ in PUBLIC_SCHEMAS)
    return con.execute(f"select table_schema, table_name from information_schema.tables "
                       f"where table_schema in ({marks}) and table_type = 'BASE TABLE' order by 1, 2",
                       list(PUBLIC_SCHEMAS)).fetchall()


def publish(con: duckdb.DuckDBPyConnection, root: Path, keep: int = KEEP_SNAPSHOTS) -> Path:
    """Export every public mart into a new snapshot, make it current, rebuild the catalog; returns the snapshot."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    for leftover in root.glob(f".*{_PARTIAL}"):
        shutil.rmtree(leftover, ignore_errors=True)  # a publish that was killed half-way
    name = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:6]
    partial = root / f".{name}{_PARTIAL}"
    partial.mkdir()
    tables = public_tables(con)
    for schema, table in tables:
        (partial / schema).mkdir(parents=True, exist_ok=True)
        target = partial / schema / f"{table}.parquet"
        con.execute(f"copy {_ident(schema)}.{_ident(table)} to {_literal(str(target))} (format parquet)")
    snapshot = root / name
    partial.rename(snapshot)
    _replace_symlink(root / CURRENT, name)
    _write_catalog(root, tables)
    _prune(root, keep, snapshot)
    return snapshot


def current_snapshot(root: Path) -> Path | None:
    """The snapshot readers see now, or None before the first publish."""
    link = Path(root) / CURRENT
    return (Path(root) / os.readlink(link)) if link.is_symlink() else None


def _replace_symlink(link: Path, target: str) -> None:
    tmp = link.with_name(f".{link.name}.{uuid.uuid4().hex[:6]}")
    tmp.symlink_to(target)
    os.replace(tmp, link)  # rename(2): readers see the old snapshot or the new one, never none


def _write_catalog(root: Path, tables: list[tuple[str, str]]) -> None:
    tmp = root / f".tmp-{uuid.uuid4().hex[:6]}.duckdb"
    con = duckdb.connect(str(tmp))
    try:
        for schema in sorted({s for s, _ in tables}):
            con.execute(f"create schema if not exists {_ident(schema)}")
        for schema, table in tables:
            path = root.resolve() / CURRENT / schema / f"{table}.parquet"
            con.execute(f"create view {_ident(schema)}.{_ident(table)} as "
                        f"select * from read_parquet({_literal(str(path))})")
    finally:
        con.close()
    os.replace(tmp, root / CATALOG)  # an open reader keeps the file it opened


def _prune(root: Path, keep: int, current: Path) -> None:
    snapshots = sorted(p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))
    for old in snapshots[:-keep] if keep > 0 else snapshots:
        if old != current:
            shutil.rmtree(old, ignore_errors=True)
