"""Build a small generated dataset and a real warehouse through Dagster, for end-to-end tests."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from persona_dagster.settings import DATA_DIR_ENV

DAY1, DAY2, DAY3 = dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3)


@contextmanager
def data_dir(path: Path):
    """Point the pipeline (and the dbt subprocess) at another data directory for a while."""
    previous = os.environ.get(DATA_DIR_ENV)
    os.environ[DATA_DIR_ENV] = str(path)
    try:
        yield path
    finally:
        if previous is None:
            os.environ.pop(DATA_DIR_ENV, None)
        else:
            os.environ[DATA_DIR_ENV] = previous


def materialize(path: Path, first: dt.date, last: dt.date) -> None:
    from persona_dagster.defs.materialize import materialize_days

    with data_dir(path):
        results = materialize_days(first, last, instance=dg.DagsterInstance.ephemeral())
    assert all(r.success for r in results)


def copy_inputs(source: Path, target: Path) -> Path:
    """Same landing files and reference inputs, fresh warehouse."""
    for folder in ("landing", "reference", "ground_truth"):
        shutil.copytree(source / folder, target / folder)
    return target


def query(path: Path, sql: str, params=()):
    con = duckdb.connect(str(path / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()
