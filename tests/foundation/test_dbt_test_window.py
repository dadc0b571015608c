"""A partition run's dbt tests read the partition window of day-grained models; a run without a window tests every row."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from persona_dagster.landing.writer import write_day
from persona_dagster.settings import DATA_DIR_ENV, DBT_PROJECT_DIR
from persona_dagster.warehouse.dbt_process import window_env
from persona_dagster.warehouse.raw_load import load_day
from persona_dagster.warehouse.window import dbt_vars_for_window

DAYS = (dt.date(2026, 1, 1), dt.date(2026, 1, 2))
MODEL = "int_clickstream__sessionized_events"


def dbt(data: Path, command: str, window: tuple[dt.date, dt.date] | None) -> subprocess.CompletedProcess:
    env = {**os.environ, DATA_DIR_ENV: str(data)}
    if window:
        env |= window_env(dbt_vars_for_window(*window))
    return subprocess.run(
        [str(Path(sys.executable).with_name("dbt")), command, "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target-path", str(data / "target"), "--log-path",
         str(data / "logs"), "--select", f"+{MODEL}" if command == "run" else MODEL, "--quiet"],
        env=env, timeout=300, capture_output=True, text=True,
    )


@pytest.fixture(scope="module")
def history_with_a_bad_old_row(tmp_path_factory):
    """Two built days, then day 1 gets a duplicate (session_key, event_seq): a row no day-2 run wrote."""
    data = tmp_path_factory.mktemp("test_window")
    for day in DAYS:
        ts = f"{day.isoformat()}T08:00:00Z"
        write_day(data / "landing", day, {"user_id": ["u", "u"], "ts": [ts, ts], "service": ["ecs", "oss"],
                                          "page": ["home", "list"]}, fmt="parquet")
    con = duckdb.connect(str(data / "warehouse.duckdb"))
    for day in DAYS:
        load_day(con, data / "landing", day)
    con.close()
    built = dbt(data, "run", None)
    assert built.returncode == 0, built.stdout + built.stderr
    con = duckdb.connect(str(data / "warehouse.duckdb"))
    con.execute(f"insert into intermediate.{MODEL} select * from intermediate.{MODEL} where event_date = ? limit 1",
                [DAYS[0]])
    con.close()
    return data


def test_a_partition_runs_tests_read_only_its_window(history_with_a_bad_old_row):
    result = dbt(history_with_a_bad_old_row, "test", (DAYS[1], DAYS[1] + dt.timedelta(days=1)))
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_window_holding_the_bad_row_and_a_run_without_window_fail(history_with_a_bad_old_row):
    for window in ((DAYS[0], DAYS[1]), None):
        result = dbt(history_with_a_bad_old_row, "test", window)
        assert result.returncode == 1, (window, result.stdout + result.stderr)
        assert "unique_combination_int_clickstream__sessionized_events" in result.stdout + result.stderr
