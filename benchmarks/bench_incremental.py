"""Is a new day's cost independent of the history? Day N+1 end to end after N loaded days, vs day 1.

    python benchmarks/bench_incremental.py [--users 200] [--history 1,7,30]

One warehouse grows through the history: day 1 on an empty warehouse is the reference, then for
each N the days up to N are built in one range call (untimed) and day N+1 is processed the way
its partition run does it: raw load of that day, then `dbt build` of the window [N+1, N+2).
Rows scanned: each model's compiled SELECT for that window is re-run under DuckDB's profiler and
its table scans summed (zone maps skip row groups outside the window, so this is what was read).
"dbt exec s" is dbt's own elapsed time from run_results.json: the part of a build that could grow
with history; the rest of "dbt s" is the dbt process starting and loading its parse state (constant).
Times and rows are those of the day's first run. --repeat R then re-runs the day R times (a
re-delivery: user_service_adoption recomputes the pairs whose span overlaps the day from their whole
history, so a re-run costs more than a first run here) and prints their median as "re-run s": on this
2-core machine one run's wall time varies by up to 1.5x, so compare the first runs over several
benchmark runs, or the dbt exec column.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
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
from persona_dagster.warehouse.dbt_process import window_env
from persona_dagster.warehouse.window import dbt_vars_arg, dbt_vars_for_window

START = dt.date(2026, 1, 5)  # a Monday
# Marts over model outputs are built after the models, not per day (as in the Dagster wiring).
DAY_MODELS = ["--exclude", "tag:ml_mart", "--indirect-selection", "cautious"]
LAYERS = ("staging", "intermediate", "marts")


class Dbt:
    """dbt against one data directory, with its own target/log paths (the project's target is left alone)."""

    def __init__(self, root: Path, work: Path, project: Path = DBT_PROJECT_DIR):
        self.env = {**os.environ, DATA_DIR_ENV: str(root), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
        self.paths = ["--profiles-dir", str(project), "--project-dir", str(project),
                      "--target-path", str(work / "target"), "--log-path", str(work / "logs")]
        self.target = work / "target"
        self.project = project
        self.window_by_env = "PERSONA_DAGSTER_MIN_DATE" in (project / "macros" / "partition_window.sql").read_text()

    def __call__(self, command: str, first: dt.date, end: dt.date) -> float:
        variables = dbt_vars_for_window(first, end)
        # The window as its partition run passes it (environment; --vars for a project from before that).
        window = [] if self.window_by_env else ["--vars", dbt_vars_arg(variables)]
        env = {**self.env, **window_env(variables)}
        started = time.perf_counter()
        selection = [] if command == "parse" else DAY_MODELS
        subprocess.run([str(Path(sys.executable).parent / "dbt"), command, *self.paths, *window,
                        *selection, "--quiet"], check=True, env=env, cwd=self.project)
        return time.perf_counter() - started

    def compiled_models(self) -> dict[str, str]:
        folder = self.target / "compiled" / "persona_dagster" / "models"
        return {p.stem: p.read_text() for layer in LAYERS for p in sorted((folder / layer).glob("*.sql"))}


def _scanned(node: dict) -> int:
    own = node.get("operator_rows_scanned") or 0 if node.get("operator_type") == "TABLE_SCAN" else 0
    return own + sum(_scanned(child) for child in node.get("children", []))


def rows_scanned(warehouse: Path, dbt: Dbt, first: dt.date, work: Path) -> dict[str, int]:
    """Table rows read by each model's SELECT for the window [first, first + 1 day)."""
    dbt("compile", first, first + dt.timedelta(days=1))
    profile = work / "profile.json"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        con.execute("pragma enable_profiling='json'")
        con.execute(f"pragma profiling_output='{profile}'")
        con.execute("""pragma custom_profiling_settings='{"OPERATOR_ROWS_SCANNED": "true", "OPERATOR_TYPE": "true"}'""")
        scanned = {}
        for model, sql in dbt.compiled_models().items():
            try:
                con.execute(sql).fetchall()
            except duckdb.CatalogException:  # its incremental SELECT reads a table only an incremental run makes
                scanned[model] = 0
                continue
            scanned[model] = _scanned(json.loads(profile.read_text()))
        return scanned
    finally:
        con.close()


def _timed_run(paths: DataPaths, dbt: Dbt, day: dt.date) -> dict:
    started = time.perf_counter()
    con = duckdb.connect(str(paths.warehouse))
    try:
        rows = load_day(con, paths.landing, day).rows
    finally:
        con.close()
    load_s = time.perf_counter() - started
    build_s = dbt("build", day, day + dt.timedelta(days=1))
    exec_s = json.loads((dbt.target / "run_results.json").read_text())["elapsed_time"]
    return {"load_s": load_s, "build_s": build_s, "exec_s": exec_s, "total_s": load_s + build_s, "day_rows": rows}


def process_day(paths: DataPaths, dbt: Dbt, day: dt.date, work: Path, repeat: int = 0) -> dict:
    """Raw load + dbt build of one day, timed; what it scanned and what the warehouse holds; then `repeat` re-runs."""
    first = _timed_run(paths, dbt, day)
    con = duckdb.connect(str(paths.warehouse), read_only=True)
    try:
        raw_total = con.execute("select count(*) from raw.events").fetchone()[0]
    finally:
        con.close()
    scanned = rows_scanned(paths.warehouse, dbt, day, work)
    reruns = [_timed_run(paths, dbt, day)["total_s"] for _ in range(repeat)]
    return {**first, "raw_total": raw_total, "by_model": scanned,
            "rerun_s": statistics.median(reruns) if reruns else float("nan")}


def build_history(paths: DataPaths, dbt: Dbt, first: dt.date, last: dt.date) -> float:
    """Days [first, last] loaded and built in one range call, like a backfill (untimed setup)."""
    started = time.perf_counter()
    con = duckdb.connect(str(paths.warehouse))
    try:
        day = first
        while day <= last:
            load_day(con, paths.landing, day)
            day += dt.timedelta(days=1)
    finally:
        con.close()
    dbt("build", first, last + dt.timedelta(days=1))
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--history", default="1,7,30", help="comma-separated N: days loaded before the timed day")
    parser.add_argument("--repeat", type=int, default=0, help="re-runs of each timed day after its first (median printed)")
    parser.add_argument("--project-dir", type=Path, default=DBT_PROJECT_DIR, help="the dbt project (default: this repo's)")
    args = parser.parse_args()
    history = sorted(int(n) for n in args.history.split(","))
    work = Path(tempfile.mkdtemp(prefix="bench-incremental-"))
    root = work / "data"
    paths = DataPaths(root)
    summary = generate(SynthConfig(users=args.users, days=history[-1] + 1, start=START.isoformat()), root)
    con = duckdb.connect(str(paths.warehouse))
    load_reference(con, paths.reference)
    con.close()
    dbt = Dbt(root, work, args.project_dir.resolve())
    dbt("parse", START, START + dt.timedelta(days=1))  # the first full parse is not a day's cost
    day = lambda n: START + dt.timedelta(days=n - 1)  # noqa: E731  (day n, 1-based)
    rows = [("day 1 (empty warehouse)", process_day(paths, dbt, day(1), work, args.repeat))]
    loaded = 1
    for n in history:
        if n > loaded:
            build_history(paths, dbt, day(loaded + 1), day(n))
            loaded = n
        rows.append((f"day {n + 1} after {n} days", process_day(paths, dbt, day(n + 1), work, args.repeat)))
        loaded = n + 1
    load = os.getloadavg()
    print(f"{summary['events']:,} events, {args.users} users, {history[-1] + 1} days; data in {work}")
    print(f"machine: {os.cpu_count()} CPUs, load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f}")
    print("day 1 creates every table; later days take the incremental path (delete the window, insert it)")
    base = rows[0][1]
    for _, r in rows:
        r["scanned"] = sum(r["by_model"].values())
    # Day 2 is the reference of the targets: the first day on the incremental path.
    ref = rows[1][1] if len(rows) > 1 else base
    print("x day 2 = against the first incremental day")
    print(f"{'step':<26}{'load s':>8}{'dbt s':>8}{'dbt exec s':>11}{'total s':>9}{'x day 2':>9}{'re-run s':>9}"
          f"{'day rows':>10}{'raw rows':>10}{'scanned':>10}{'x day 2':>9}")
    for name, r in rows:
        print(f"{name:<26}{r['load_s']:>8.2f}{r['build_s']:>8.2f}{r['exec_s']:>11.2f}{r['total_s']:>9.2f}"
              f"{r['total_s'] / ref['total_s']:>9.2f}{r['rerun_s']:>9.2f}{r['day_rows']:>10,}{r['raw_total']:>10,}"
              f"{r['scanned']:>10,}{r['scanned'] / ref['scanned']:>9.2f}")
    print("\nrows scanned per model (its SELECT for the day's window):")
    print(f"{'model':<40}" + "".join(f"{name.split(' after')[0]:>12}" for name, _ in rows))
    for model in base["by_model"]:
        print(f"{model:<40}" + "".join(f"{r['by_model'].get(model, 0):>12,}" for _, r in rows))


if __name__ == "__main__":
    main()
