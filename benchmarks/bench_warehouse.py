"""Events/s through the raw load and the dbt layer for one large day, beside the same SQL run bare in DuckDB.

    python benchmarks/bench_warehouse.py [--events 1000000] [--format parquet] [--project-dir DIR]

The baseline is what any warehouse step must at least pay: DuckDB copying the day's raw rows
into a new table (no parsing, validation, sessionization or sequences). "bare SQL" is each model's
compiled SELECT from the dbt build, run as `create table ... as` in one DuckDB connection on the
same warehouse (no dbt start-up, parsing, hooks or tests): what dbt costs over its engine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import yaml

from persona_dagster.settings import DATA_DIR_ENV, DBT_PROJECT_DIR, DataPaths
from persona_dagster.synth.generator import SynthConfig, generate
from persona_dagster.warehouse.dbt_process import window_env
from persona_dagster.warehouse.raw_load import load_day
from persona_dagster.warehouse.reference_load import load_reference
from persona_dagster.warehouse.window import dbt_vars_arg, dbt_vars_for_window

DAY = dt.date(2026, 1, 5)  # a Monday: weekday session rates
EVENTS_PER_USER = 10.1  # the generator's weekday rate: 100,000 users gave 1,010,861 events
MiB = 1024


def _waited(command: list[str], **kwargs) -> tuple[float, float]:
    """Wall seconds and peak RSS (MiB) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(command, **kwargs)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode:
        raise subprocess.CalledProcessError(child.returncode, command)
    return time.perf_counter() - started, usage.ru_maxrss / MiB


def _dbt_build(root: Path, project: Path, target: Path) -> tuple[float, float]:
    variables = dbt_vars_for_window(DAY, DAY + dt.timedelta(days=1))
    env = {**os.environ, DATA_DIR_ENV: str(root), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **window_env(variables)}
    # A project from before the window moved to the environment takes it as --vars.
    by_env = "PERSONA_DAGSTER_MIN_DATE" in (project / "macros" / "partition_window.sql").read_text()
    window = [] if by_env else ["--vars", dbt_vars_arg(variables)]
    dbt = Path(sys.executable).parent / "dbt"
    return _waited([str(dbt), "build", "--profiles-dir", str(project), "--project-dir", str(project),
                    "--target-path", str(target), "--log-path", str(target), *window,
                    "--exclude", "tag:ml_mart", "--quiet"], env=env, cwd=project)


def _dbt_timings(target: Path) -> tuple[dict[str, float], float]:
    """Each model's execution time in dbt's run_results.json (in run order), and the tests' total."""
    results = json.loads((target / "run_results.json").read_text())["results"]
    models = {r["unique_id"].split(".")[-1]: r["execution_time"] for r in results if r["unique_id"].startswith("model.")}
    tests = sum(r["execution_time"] for r in results if r["unique_id"].startswith("test."))
    return models, tests


def _bare_sql(project: Path, warehouse: Path, target: Path, models: list[str], out: Path) -> None:
    """Child process: each model's compiled SELECT as `create table` in one connection, timings to `out`."""
    compiled = {p.stem: p.read_text() for p in (target / "compiled").rglob("*.sql") if "models" in p.parts}
    con = duckdb.connect(str(warehouse))
    # The DuckDB settings dbt's profile sets, so both run the same engine configuration.
    profile = yaml.safe_load((project / "profiles.yml").read_text())["persona_dagster"]["outputs"]["dev"]
    for name, value in profile.get("settings", {}).items():
        con.execute(f"set {name} = '{value}'")
    con.execute("create schema if not exists bench_bare")
    timings = {}
    for model in models:
        started = time.perf_counter()
        con.execute(f"create or replace table bench_bare.{model} as {compiled[model]}")
        timings[model] = time.perf_counter() - started
    con.execute("drop schema bench_bare cascade")
    con.close()
    out.write_text(json.dumps(timings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000, help="about this many events in the day")
    parser.add_argument("--format", default="parquet", choices=["parquet", "csv", "jsonl"])
    parser.add_argument("--project-dir", type=Path, default=DBT_PROJECT_DIR, help="the dbt project (default: this repo's)")
    parser.add_argument("--bare", nargs=4, metavar=("WAREHOUSE", "TARGET", "MODELS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    project = args.project_dir.resolve()
    if args.bare:
        warehouse, target, models, out = args.bare
        return _bare_sql(project, Path(warehouse), Path(target), models.split(","), Path(out))
    root = Path(tempfile.mkdtemp(prefix="bench-warehouse-"))
    paths = DataPaths(root)
    users = max(1, round(args.events / EVENTS_PER_USER))
    summary = generate(SynthConfig(users=users, days=1, start=DAY.isoformat(), fmt=args.format), root)
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
    target = root / "dbt-target"
    build_s, build_rss = _dbt_build(root, project, target)
    rebuild_s, rebuild_rss = _dbt_build(root, project, target)  # the same day again: idempotent re-run cost
    # Per model from the re-run: its compiled SQL (the incremental path) is what runs bare below.
    dbt_models, dbt_tests = _dbt_timings(target)
    out = root / "bare.json"
    _, bare_rss = _waited([sys.executable, __file__, "--project-dir", str(project), "--bare", str(paths.warehouse), str(target),
                                   ",".join(dbt_models), str(out)])
    bare = json.loads(out.read_text())
    bare_s = sum(bare.values())
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    sessions = con.execute("select count(*) from marts.session_sequences").fetchone()[0]
    con.close()
    print(f"day {DAY}: {events:,} events ({args.format}), {sessions:,} sessions, project {project}, data in {root}")
    print(f"{'step':<34}{'seconds':>10}{'events/s':>14}{'peak MiB':>10}")
    for name, seconds, rss in [("raw load (read + insert)", load_s, None), ("baseline: DuckDB copy of raw rows", copy_s, None),
                               ("dbt build (models + tests)", build_s, build_rss), ("dbt build again (re-run)", rebuild_s, rebuild_rss),
                               ("bare SQL of the same models", bare_s, bare_rss)]:
        print(f"{name:<34}{seconds:>10.2f}{events / seconds:>14,.0f}{'' if rss is None else f'{rss:,.0f}':>10}")
    print(f"\n{'model (re-run, run order)':<40}{'dbt s':>9}{'bare s':>9}{'dbt/bare':>10}")
    for model, seconds in dbt_models.items():
        print(f"{model:<40}{seconds:>9.2f}{bare[model]:>9.2f}{seconds / max(bare[model], 1e-3):>10.1f}")
    print(f"{'models total':<40}{sum(dbt_models.values()):>9.2f}{bare_s:>9.2f}{sum(dbt_models.values()) / bare_s:>10.1f}")
    print(f"{'tests total (dbt only)':<40}{dbt_tests:>9.2f}")
    print(f"{'dbt wall, start-up included':<40}{build_s:>9.2f}{bare_s:>9.2f}{build_s / bare_s:>10.1f}")
    print(f"\ndbt build / bare SQL: {build_s / bare_s:.1f}x (re-run {rebuild_s / bare_s:.1f}x); "
          f"dbt build / baseline copy: {build_s / copy_s:.1f}x; bare SQL {events / bare_s:,.0f} events/s")


if __name__ == "__main__":
    main()
