"""The same dbt project on DuckDB and on Apache Spark gives the same marts, row for row.

Two generated days (40 users, bad rows added, plus hand-made rows in every timestamp form the
staging layer parses) are loaded once into DuckDB's raw.* and exported as parquet for Spark
(persona_dagster.warehouse.spark_sources). The day-grained models (`--exclude tag:ml_mart`, as
benchmarks/bench_warehouse.py builds them) run day by day, as the Dagster partitions do, with
`dbt build` on the `dev` (DuckDB) and `spark` (dbt-spark's session method: a local Spark from
pyspark) targets of dbt_project/profiles.yml; the second day takes each engine's incremental path.
Every mart, and the two staging tables where the engines parse the raw text, is then read from both.
"""

from __future__ import annotations

import datetime as dt
import os
import pickle
import shutil
import subprocess
import sys

import duckdb
import pytest

from persona_dagster.settings import DATA_DIR_ENV, DBT_PROJECT_DIR, DataPaths
from persona_dagster.synth.generator import SynthConfig, generate
from persona_dagster.warehouse.dbt_process import dbt_executable, window_env
from persona_dagster.warehouse.raw_load import load_day
from persona_dagster.warehouse.reference_load import load_reference
from persona_dagster.warehouse.spark_sources import SPARK_RAW_DIR_ENV, export_raw, spark_raw_dir
from persona_dagster.warehouse.window import dbt_vars_for_window

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("java") is None, reason="Spark needs a Java runtime (openjdk-17-jre-headless)"),
]

DAYS = (dt.date(2026, 1, 5), dt.date(2026, 1, 6))
TABLES = ["marts.sessions", "marts.session_sequences", "marts.intent_segments", "marts.user_service_adoption",
          "marts.daily_user_activity", "staging.stg_clickstream__events", "staging.stg_clickstream__quarantine"]

# Raw rows (day 1) beyond the generator's ISO-8601 'Z' timestamps: epoch seconds and milliseconds, offsets,
# no offset, fractions, a date alone, padding; billing amounts; names with spaces, ';' and non-ASCII text
# (token folding, byte lengths in the content hash of rows without event_id); no session_id (gap sessions).
EXTRA_ROWS = [
    # (event_id, user_id, session_id, ts, service, page, billing_tier)
    (None, "u-extra-ü", None, "1767614400", "Cloud Storage", "list; buckets", "12.5"),
    (None, "u-extra-ü", None, "1767614400123", "Cloud Storage", "list; buckets", "12.5"),
    (None, "u-extra-ü", None, "2026-01-05T13:00:00+01:00", "Compute", "vm\tcreate", "very high"),
    ("x-4", "u-extra-ü", None, "2026-01-05 12:59:59", "Compute", "vm list", " Medium "),
    ("x-5", "u-extra-ü", None, "2026-01-05T14:45:00.250Z", "Données", "page é", None),
    ("x-6", "u-extra-ü", None, " 2026-01-05T15:00:00Z ", "Données", "page é", None),
    ("x-7", "u-extra-ü", None, "2026-01-05", "Compute", "vm list", None),
    ("x-11", "u-extra-ü", None, "2026-01-05T16:00:00Z", "Compute", "vm list", "-3"),
    ("x-12", "u-extra-ü", None, "2026-01-05T16:01:00Z", "Compute", "vm list", "inf"),
    ("x-13", "u-extra-ü", None, "2026-01-05 16:02:00 UTC", "Compute", "vm list", "1e1"),
    ("x-8", "u-extra-2", "s-x", "2026-01-05T23:59:59.999999Z", "Compute", "vm list", "0"),
    ("x-9", "u-extra-2", "s-x", "2026-01-06T00:00:01Z", "Compute", "vm list", None),
    ("x-10", "u-extra-2", "s-x", "1767657600", "Compute", "vm list", "Low"),
]


def _add_extra_rows(con: duckdb.DuckDBPyConnection, day: dt.date) -> None:
    for number, (event_id, user, session, ts, service, page, tier) in enumerate(EXTRA_ROWS, start=1):
        con.execute(
            "insert into raw.events (event_date, source_file, source_row, event_id, user_id, session_id, ts, service,"
            " page, country, city, billing_tier, action, loaded_at) values (?, ?, ?, ?, ?, ?, ?, ?, ?, 'DE', 'Köln',"
            " ?, null, timestamp '2026-01-05 00:00:00')",
            [day, f"dt={day}/extra.csv", number, event_id, user, session, ts, service, page, tier])


def _dbt(root, command: str, target: str, day: dt.date) -> None:
    variables = dbt_vars_for_window(day, day + dt.timedelta(days=1))
    env = {**os.environ, DATA_DIR_ENV: str(root), SPARK_RAW_DIR_ENV: str(spark_raw_dir(root)),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **window_env(variables)}
    out = root / "dbt" / target
    args = [dbt_executable(), command, "--target", target, "--profiles-dir", str(DBT_PROJECT_DIR),
            "--project-dir", str(DBT_PROJECT_DIR), "--target-path", str(out), "--log-path", str(out),
            "--exclude", "tag:ml_mart"]
    done = subprocess.run(args, env=env, cwd=DBT_PROJECT_DIR, capture_output=True, text=True)
    assert done.returncode == 0, f"dbt {command} --target {target} for {day} failed:\n{done.stdout[-6000:]}{done.stderr[-3000:]}"


def _duckdb_tables(root) -> dict:
    con = duckdb.connect(str(DataPaths(root).warehouse), read_only=True)
    try:
        return {table: ([(row[0], row[1]) for row in con.execute(f"describe {table}").fetchall()],
                        con.execute(f"select * from {table}").fetchall()) for table in TABLES}
    finally:
        con.close()


def _spark_tables(root) -> dict:
    out = root / "spark_tables.pkl"
    command = [sys.executable, "-m", "persona_dagster.warehouse.spark_sources", "read", "--data-dir", str(root),
               "--out", str(out), *TABLES]
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-6000:]
    return pickle.loads(out.read_bytes())


def spark_type(duckdb_type: str) -> str:
    """A DuckDB type's Spark name, as macros/cross_db/spark.sql maps the contracts."""
    name = duckdb_type.strip().lower()
    if name.endswith("[]"):
        return f"array<{spark_type(name[:-2])}>"
    return {"varchar": "string", "integer": "int", "hugeint": "bigint"}.get(name, name)


@pytest.fixture(scope="module")
def both_engines(tmp_path_factory):
    root = tmp_path_factory.mktemp("spark-parity")
    generate(SynthConfig(users=40, days=len(DAYS), start=DAYS[0].isoformat(), fmt="jsonl", malformed_rate=0.05), root)
    paths = DataPaths(root)
    con = duckdb.connect(str(paths.warehouse))
    try:
        load_reference(con, paths.reference)
        for day in DAYS:
            load_day(con, paths.landing, day)
        _add_extra_rows(con, DAYS[0])
        export_raw(con, spark_raw_dir(root))
    finally:
        con.close()
    for day in DAYS:
        _dbt(root, "build", "dev", day)
        # The data tests on Spark cost about 20 s a run: once, on the last day, over both days' rows.
        _dbt(root, "build" if day == DAYS[-1] else "run", "spark", day)
    return _duckdb_tables(root), _spark_tables(root)


@pytest.mark.parametrize("table", TABLES)
def test_table_is_identical_on_duckdb_and_spark(both_engines, table):
    duck, spark = both_engines
    duck_columns, duck_rows = duck[table]
    spark_columns, spark_rows = spark[table]
    # What is normalised, and why (nothing else: every value is compared exactly, floats included):
    # - column order: Spark stores a table's partition column (event_date) last, so columns are matched by
    #   name and Spark's rows reordered to DuckDB's column order;
    # - type names: DuckDB's are mapped to Spark's (varchar = string, T[] = array<T>, integer = int, and
    #   hugeint = bigint: DuckDB sums integers into a hugeint, Spark into a bigint), as the contracts are;
    # - row order: neither engine orders a table; both sides are sorted by each row's repr.
    # Lists (DuckDB) and arrays (Spark) both come back as Python lists, and timestamps as naive datetimes:
    # DuckDB's are naive UTC, Spark's are read in its session zone, UTC (spark_sources.spark_session).
    assert sorted(spark_columns) == sorted((name, spark_type(kind)) for name, kind in duck_columns)
    position = {name: i for i, (name, _) in enumerate(spark_columns)}
    order = [position[name] for name, _ in duck_columns]
    spark_rows = [tuple(row[i] for i in order) for row in spark_rows]
    assert len(spark_rows) == len(duck_rows) > 0
    assert sorted(spark_rows, key=repr) == sorted(duck_rows, key=repr)


def test_parity_covers_both_days_and_the_context(both_engines):
    """The comparison is not vacuous: both days built, day 2's sessions carry context from day 1."""
    duck, _ = both_engines
    columns, rows = duck["marts.session_sequences"]
    names = [name for name, _ in columns]
    days = {row[names.index("event_date")] for row in rows}
    assert days == set(DAYS)
    assert any(row[names.index("daily_page_tokens")] for row in rows if row[names.index("event_date")] == DAYS[1])
    quarantine = {row[3] for row in duck["staging.stg_clickstream__quarantine"][1]}
    assert {"ts_outside_partition", "invalid_billing_tier", "duplicate_event"} <= quarantine
