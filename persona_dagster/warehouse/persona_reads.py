"""Reads the persona evaluation needs: the reference catalogue of items and the generator's event tasks."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import duckdb

from persona_dagster.personas.persona_judge import Catalogue


def read_catalogue(con: duckdb.DuckDBPyConnection, items: set[str]) -> Catalogue:
    """Every item seen in a memory, with its task from the reference map where it has one."""
    mapped = {f"{s};{p}": t for s, p, t in con.execute(
        "select service, page, task from staging.stg_reference__activity_tasks").fetchall()}
    persona_tasks = defaultdict(set)
    for persona, task in con.execute("select persona, task from staging.stg_reference__persona_tasks").fetchall():
        persona_tasks[persona].add(task)
    return Catalogue({i: mapped.get(i, "") for i in items}, {p: frozenset(t) for p, t in persona_tasks.items()})


def read_event_tasks(con: duckdb.DuckDBPyConnection, events_truth: Path) -> dict[str, str]:
    """{event_id: task} from the generator's ground truth (events_truth.parquet)."""
    return dict(con.execute("select event_id, task from read_parquet(?)", [str(events_truth)]).fetchall())
