"""Next service/page on the real logs in ../shared/data: SessionBERT vs generic BERT vs Markov/popularity.

    python benchmarks/real_data_next_activity.py [--dataset eshop|msnbc|both] [--epochs 3] [--max-sessions 8000]
        [--positions all|N]

Each log goes through the real pipeline (importer -> landing -> raw load -> dbt build) into a
temporary warehouse; compare_models then runs on marts.session_sequences, split by time
(eshop: last 20% of sessions by start; msnbc, one day, by position in the file), with the
fine-tuning lr chosen on the last training sessions. It prints weighted F1 with 95% paired-bootstrap
intervals and writes <data dir>/reports/real/<dataset>/next_activity.json (the shape of
reports/next_activity.json) for the leaderboard.
"""

from __future__ import annotations

import argparse
import dataclasses
import time

import duckdb

from persona_dagster.defs.sessionbert.evaluation import comparison_rows
from persona_dagster.reports import write_report
from persona_dagster.sessionbert.examples import split_by_time
from persona_dagster.sessionbert.experiments import ExperimentConfig, compare_models
from persona_dagster.settings import DataPaths
from persona_dagster.warehouse.session_io import read_sessions
from real_logs import DATASETS, land_and_build, real_reports_dir

HEADLINE = ("sessionbert", "sessionbert_without_markov_prior", "generic_bert", "markov")


def time_split_sessions(sessions):
    """(train, test, how): by session start, or by file order when every session starts at the same instant."""
    if sessions["session_start"].nunique() > 1:
        train, test = split_by_time(sessions, quantile=0.8)
        return train, test, "by time, last 20% of sessions by start held out"
    # msnbc has no times: the importer numbers users in file order, the only order the log has.
    ordered = sessions.assign(n=sessions["user_id"].str.extract(r"(\d+)$")[0].astype(int)).sort_values("n")
    cut = int(len(ordered) * 0.8)
    return ordered.iloc[:cut].drop(columns="n"), ordered.iloc[cut:].drop(columns="n"), "by file order, last 20% held out"


def print_table(name: str, result: dict) -> None:
    lr, weights = result["validation"]["chosen_finetune_lr"], result["validation"]["chosen_correction"]
    print(f"\n{name}: {result['n_test_examples']:,} test examples, fine-tuning lr {lr:g} and correction weights "
          f"{weights} (chosen on validation), "
          f"{result['seconds']:.0f} s")
    print(f"{'model':<46}{'task':<9}{'weighted F1':>12}{'95% interval':>18}{'n':>8}")
    for task, models in result["intervals"].items():
        for model, v in models.items():
            interval = f"[{v['lo']:.3f}, {v['hi']:.3f}]"
            print(f"{model:<46}{task:<9}{v['value']:>12.3f}{interval:>18}{v['n']:>8}")


def evaluate(name: str, args: argparse.Namespace) -> dict:
    root = land_and_build(name, args.msnbc_users)
    con = duckdb.connect(str(DataPaths(root).warehouse), read_only=True)
    try:
        sessions = read_sessions(con, latest=args.max_sessions)
    finally:
        con.close()
    train, test, how = time_split_sessions(sessions)
    positions = None if args.positions == "all" else int(args.positions)
    cfg = ExperimentConfig(preset=args.preset, max_len=128, finetune_positions=positions)
    cfg = dataclasses.replace(cfg, pretrain=dataclasses.replace(cfg.pretrain, epochs=args.epochs, cpu_threads=1),
                              finetune=dataclasses.replace(cfg.finetune, epochs=args.epochs, cpu_threads=1))
    started = time.perf_counter()
    result = compare_models(train, test, root / "work", cfg)
    result["seconds"] = time.perf_counter() - started
    print_table(name, result)
    report = write_report(real_reports_dir(name), "next_activity", {
        "dataset": {"name": name, "sessions": len(sessions), "train_sessions": len(train), "test_sessions": len(test),
                    "split": how, **({"msnbc_users": args.msnbc_users} if name == "msnbc" else {})},
        "headline_metric": result["headline_metric"], "comparison": comparison_rows(result),
        "validation": result["validation"], "prior": result["prior"], "intervals": result["intervals"],
        "n_train_examples": result["n_train_examples"], "n_test_examples": result["n_test_examples"],
        "config": {"epochs": args.epochs, "preset": args.preset, "max_sessions": args.max_sessions, "max_len": 128,
                   "finetune_positions": args.positions},
        "seconds": result["seconds"],
    })
    print(f"wrote {report}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", choices=[*DATASETS, "both"], default="both")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--preset", default="small")
    parser.add_argument("--max-sessions", type=int, default=8000)
    parser.add_argument("--msnbc-users", type=int, default=10000)
    parser.add_argument("--positions", default="all", help="fine-tuning positions per session: all or the last N")
    args = parser.parse_args()
    for name in (DATASETS if args.dataset == "both" else [args.dataset]):
        evaluate(name, args)


if __name__ == "__main__":
    main()
