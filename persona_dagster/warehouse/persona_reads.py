"""Warehouse reads of the persona assets: memories, intent segments, drift inputs, the reference catalogue, event tasks."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from pathlib import Path

import duckdb
import pandas as pd

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


def memory_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every stored memory (ml.intent_memories), by user, start and id."""
    return con.execute("select * from ml.intent_memories order by user_id, start_ts, memory_id").df()


def intent_segments_in_window(con: duckdb.DuckDBPyConnection, first: dt.date, end: dt.date) -> pd.DataFrame:
    """marts.intent_segments rows of days in [first, end)."""
    return con.execute("select * from marts.intent_segments where event_date >= ? and event_date < ? "
                       "order by user_id, start_ts, session_key, segment_index", [first, end]).df()


def memory_intents(con: duckdb.DuckDBPyConnection, since: dt.date, until: dt.date) -> pd.DataFrame:
    """user_id, as_of_date, intent of the memories of days in [since, until]."""
    return con.execute("select user_id, as_of_date, intent from ml.intent_memories "
                       "where as_of_date >= ? and as_of_date <= ?", [since, until]).df()


def persona_task_weights(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """persona, task, weight of the reference persona definitions (empty without them)."""
    return con.execute("select persona, task, weight from staging.stg_reference__persona_tasks").df()


def persona_drift_rows(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """user_id, as_of_date, period_days, compared, main_changed of ml.persona_drift."""
    return con.execute("select user_id, as_of_date, period_days, compared, main_changed from ml.persona_drift").df()
