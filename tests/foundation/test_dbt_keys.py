"""Content hashes and session keys in dbt: built from length-prefixed, NULL-aware fields, so no two inputs collide."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from persona_dagster.landing.writer import write_day
from persona_dagster.settings import DATA_DIR_ENV, DBT_PROJECT_DIR
from persona_dagster.warehouse.raw_load import load_day

DAY = dt.date(2026, 1, 1)
TS = "2026-01-01T08:00:00Z"
MODELS = ["stg_clickstream__events", "stg_clickstream__quarantine", "int_clickstream__sessionized_events"]


def run_dbt_models(data: Path, models: list[str]) -> None:
    """A real dbt run of `models` over data/warehouse.duckdb; target and logs stay in `data`."""
    dbt = Path(sys.executable).with_name("dbt")
    subprocess.run(
        [str(dbt), "run", "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target-path", str(data / "target"), "--log-path", str(data / "logs"), "--select", *models, "--quiet"],
        env={**os.environ, DATA_DIR_ENV: str(data)}, check=True, timeout=300,
    )


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    data = tmp_path_factory.mktemp("keys")
    rows = [  # (user_id, session_id, service, page, action): each pair collides under a '|'-joined key
        ("u", None, "a|b", "c", None), ("u", None, "a", "b|c", None),          # '|' inside a field
        ("n", None, "x", "p|view", None), ("n", None, "x", "p", "view"),       # a NULL skipped by concat_ws
        ("pipe", "x|20260101|s:y", "ecs", "p", None), ("pipe|20260101|s:x", "y", "ecs", "p", None),  # sessions
    ]
    names = ("user_id", "session_id", "service", "page", "action")
    columns = {name: [r[i] for r in rows] for i, name in enumerate(names)} | {"ts": [TS] * len(rows)}
    write_day(data / "landing", DAY, columns, fmt="parquet")
    con = duckdb.connect(str(data / "warehouse.duckdb"))
    load_day(con, data / "landing", DAY)
    con.close()
    run_dbt_models(data, MODELS)
    return duckdb.connect(str(data / "warehouse.duckdb"), read_only=True)


def test_rows_whose_fields_only_differ_in_boundaries_or_nulls_get_distinct_content_hashes(built):
    rows = built.execute("select user_id, event_id from staging.stg_clickstream__events order by source_row").fetchall()
    assert built.execute("select count(*) from staging.stg_clickstream__quarantine").fetchone()[0] == 0
    assert len(rows) == 6 and len({event_id for _, event_id in rows}) == 6


def test_session_keys_never_merge_users_whose_ids_contain_the_separator(built):
    sessions = built.execute("""
        select session_key, list(distinct user_id) from intermediate.int_clickstream__sessionized_events
        where user_id like 'pipe%' group by 1""").fetchall()
    assert len(sessions) == 2 and all(len(users) == 1 for _, users in sessions)
