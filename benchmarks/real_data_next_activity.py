"""Next service/page on the real logs in ../shared/data: SessionBERT vs generic BERT vs Markov/popularity.

    python benchmarks/real_data_next_activity.py [--dataset eshop|msnbc|both] [--epochs 3] [--max-sessions 8000]

Each log goes through the real pipeline (importer -> landing -> raw load -> dbt build) into a
temporary warehouse; the comparison then runs on marts.session_sequences, split by time
(eshop: last 20% of sessions by start; msnbc, one day, by position in the file), and prints a table.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from persona_dagster.importers.eshop import import_eshop
from persona_dagster.importers.msnbc import import_msnbc
from persona_dagster.importers.source import SHARED_DATA_DIR
from persona_dagster.settings import DATA_DIR_ENV, DBT_PROJECT_DIR, DataPaths
from persona_dagster.sessionbert.examples import split_by_time
from persona_dagster.sessionbert.experiments import ExperimentConfig, compare_models
from persona_dagster.warehouse.raw_load import load_day
from persona_dagster.warehouse.reference_load import load_reference
from persona_dagster.warehouse.session_io import read_sessions


def build_warehouse(root: Path) -> None:
    paths = DataPaths(root)
    days = sorted(dt.date.fromisoformat(p.name[3:]) for p in paths.landing.glob("dt=*"))
    con = duckdb.connect(str(paths.warehouse))
    load_reference(con, paths.reference)
    for day in days:
        load_day(con, paths.landing, day)
    con.close()
    env = {**os.environ, DATA_DIR_ENV: str(root), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--quiet", "--profiles-dir", str(DBT_PROJECT_DIR),
                    "--project-dir", str(DBT_PROJECT_DIR), "--exclude", "tag:ml_mart"], check=True, env=env)


def evaluate(name: str, root: Path, args: argparse.Namespace) -> dict:
    con = duckdb.connect(str(DataPaths(root).warehouse), read_only=True)
    sessions = read_sessions(con, latest=args.max_sessions)
    con.close()
    if sessions["session_start"].nunique() > 1:
        train, test = split_by_time(sessions, quantile=0.8)
    else:  # msnbc: every session starts at the same instant (no times in the log): split by file order
        ordered = sessions.assign(n=sessions["user_id"].str.extract(r"(\d+)$")[0].astype(int)).sort_values("n")
        cut = int(len(ordered) * 0.8)
        train, test = ordered.iloc[:cut].drop(columns="n"), ordered.iloc[cut:].drop(columns="n")
    cfg = ExperimentConfig(preset=args.preset, max_len=128)
    cfg = dataclasses.replace(cfg, pretrain=dataclasses.replace(cfg.pretrain, epochs=args.epochs, cpu_threads=1),
                              finetune=dataclasses.replace(cfg.finetune, epochs=args.epochs, cpu_threads=1))
    started = time.perf_counter()
    result = compare_models(train, test, root / "work", cfg)
    result["seconds"] = time.perf_counter() - started
    result["sessions"] = len(sessions)
    print(f"\n{name}: {len(sessions):,} sessions ({len(train):,} train / {len(test):,} test), "
          f"{result['n_test_examples']:,} test examples, {result['seconds']:.0f} s")
    print(f"{'model':<28}{'service wF1':>12}{'service acc':>12}{'page wF1':>10}{'page acc':>10}")
    runs = {**{k: v["metrics"] for k, v in result["models"].items()}, **result["baselines"]}
    for model, metrics in runs.items():
        service, page = metrics.get("service", {}), metrics.get("page", {})
        print(f"{model:<28}{service.get('weighted_f1', float('nan')):>12.3f}{service.get('accuracy', float('nan')):>12.3f}"
              f"{page.get('weighted_f1', float('nan')):>10.3f}{page.get('accuracy', float('nan')):>10.3f}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--dataset", choices=["eshop", "msnbc", "both"], default="both")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--preset", default="small")
    parser.add_argument("--max-sessions", type=int, default=8000)
    parser.add_argument("--msnbc-users", type=int, default=10000)
    parser.add_argument("--out", type=Path, default=None, help="write the results as JSON here")
    args = parser.parse_args()
    shared = SHARED_DATA_DIR
    results = {}
    for name in (["eshop", "msnbc"] if args.dataset == "both" else [args.dataset]):
        root = Path(tempfile.mkdtemp(prefix=f"real-{name}-"))
        if name == "eshop":
            import_eshop(shared / "eshop_clothing_2008" / "e-shop_clothing_2008.csv", root / "landing")
        else:
            import_msnbc(shared / "msnbc" / "msnbc990928.zip", root / "landing", limit_users=args.msnbc_users, seed=1)
        build_warehouse(root)
        results[name] = evaluate(name, root, args)
    if args.out:
        args.out.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
