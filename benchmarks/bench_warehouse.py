"""Events/s through the raw load and the dbt layer for one large day, beside a plain-copy baseline.

    python benchmarks/bench_warehouse.py [--users 100000] [--format parquet]

The baseline is what any warehouse step must at least pay: DuckDB copying the day's raw rows
into a new table (no parsing, validation, sessionization or sequences).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from persona_dagster.settings import DATA_DIR_ENV, DBT_PROJECT_DIR, DataPaths
from persona_dagster.synth.generator import SynthConfig, generate
from persona_dagster.warehouse.raw_load import load_day
from persona_dagster.warehouse.reference_load import load_reference
from persona_dagster.warehouse.window import dbt_vars_arg, dbt_vars_for_window

DAY = dt.date(2026, 1, 5)  # a Monday: weekday session rates


def _dbt_build(root: Path) -> float:
    env = {**os.environ, DATA_DIR_ENV: str(root), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    variables = dbt_vars_arg(dbt_vars_for_window(DAY, DAY + dt.timedelta(days=1)))
    dbt = Path(sys.executable).parent / "dbt"
    started = time.perf_counter()
    subprocess.run([str(dbt), "build", "--profiles-dir", str(DBT_PROJECT_DIR), "--project-dir", str(DBT_PROJECT_DIR),
                    "--vars", variables, "--exclude", "tag:ml_mart", "--quiet"], check=True, env=env, cwd=DBT_PROJECT_DIR)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--users", type=int, default=100_000)
    parser.add_argument("--format", default="parquet", choices=["parquet", "csv", "jsonl"])
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="bench-warehouse-"))
    paths = DataPaths(root)
    summary = generate(SynthConfig(users=args.users, days=1, start=DAY.isoformat(), fmt=args.format), root)
    events = summary["events"]
    con = duckdb.connect(str(paths.warehouse))
    load_reference(con, paths.reference)
    started = time.perf_counter()
    load_day(con, paths.landing, DAY)
    load_s = time.perf_counter() - started
    started = time.perf_counter()
    con.execute("create table baseline_copy as select * from raw.events where event_date = ?", [DAY])
    copy_s = time.perf_counter() - started
    con.execute("drop table baseline_copy")
    con.close()
    build_s = _dbt_build(root)
    rebuild_s = _dbt_build(root)  # the same day again: idempotent re-run cost
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    sessions = con.execute("select count(*) from marts.session_sequences").fetchone()[0]
    con.close()
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    peak_children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"day {DAY}: {events:,} events ({args.format}), {sessions:,} sessions, data in {root}")
    print(f"{'step':<34}{'seconds':>10}{'events/s':>14}")
    for name, seconds in [("raw load (read + insert)", load_s), ("baseline: DuckDB copy of raw rows", copy_s),
                          ("dbt build (models + tests)", build_s), ("dbt build again (re-run)", rebuild_s)]:
        print(f"{name:<34}{seconds:>10.2f}{events / seconds:>14,.0f}")
    print(f"dbt build / baseline copy: {build_s / copy_s:.1f}x")
    print(f"peak RSS: loader process {peak_self:,.0f} MiB, dbt process {peak_children:,.0f} MiB")


if __name__ == "__main__":
    main()
