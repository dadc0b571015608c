"""next_activity_evaluation's library calls on an existing warehouse: validation rows, test comparison, wall time.

    python benchmarks/next_activity_orders.py [--warehouse /tmp/fc/main/data/warehouse.duckdb] [--grid] [--no-ablation]
        [--positions 1 all]

Reads marts.session_sequences read-only (the demo config: the latest 1500 sessions, last 20% held out,
2 epochs, preset small; length ablation on the latest 400 with preset tiny at 32/64/128), runs
compare_models + length_ablation as the asset does, and prints what validation chose, the test
weighted F1 of SessionBERT and the count baselines with 95% paired-bootstrap intervals, and the seconds.
--positions runs the comparison once per fine-tuning setting (1 = session ends only, all = every position);
compare settings on a development dataset (another seed), not on the data whose test figures you report.

--grid also fine-tunes SessionBERT on the validation split at every (longest prior order, lr) pair,
which the asset does not do (it mixes orders 1..3 with weights fitted on the training transitions):
a check of that fixed longest order. Test is never used for any choice here.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import resource
import tempfile
import time
from pathlib import Path

import duckdb

from persona_dagster.sessionbert.device import DEFAULT_CPU_THREADS
from persona_dagster.sessionbert.examples import split_by_time
from persona_dagster.sessionbert.experiments import ExperimentConfig, compare_models, length_ablation
from persona_dagster.warehouse.session_io import read_sessions

DEMO = {"epochs": 1, "max_sessions": 1500, "test_fraction": 0.2, "ablation_max_sessions": 400,
        "ablation_preset": "tiny", "ablation_lengths": (32, 128), "preset": "small"}


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def demo_config(epochs: int, preset: str) -> ExperimentConfig:
    base = ExperimentConfig(preset=preset, max_len=128)
    return dataclasses.replace(
        base,
        pretrain=dataclasses.replace(base.pretrain, epochs=epochs, cpu_threads=DEFAULT_CPU_THREADS),
        finetune=dataclasses.replace(base.finetune, epochs=epochs, cpu_threads=DEFAULT_CPU_THREADS),
    )


def print_intervals(intervals: dict) -> None:
    print(f"{'model':<44}{'task':<9}{'weighted F1':>12}{'95% interval':>20}{'n':>6}")
    for task, models in intervals.items():
        for model, v in models.items():
            if model.startswith("generic") or model.startswith("popularity"):
                continue
            interval = f"[{v['lo']:.3f}, {v['hi']:.3f}]"
            print(f"{model:<44}{task:<9}{v['value']:>12.3f}{interval:>20}{v['n']:>6}")


def grid(train, cfg: ExperimentConfig, work: Path, orders: tuple[int, ...] = (1, 2, 3)) -> None:
    """SessionBERT on the validation split at every (order, lr): the expensive version of the asset's choice."""
    from persona_dagster.sessionbert.examples import next_activity_examples
    from persona_dagster.sessionbert.experiments import choose_finetune_knobs

    train_examples = next_activity_examples(train)
    for order in orders:
        trial = dataclasses.replace(cfg, prior_order=order)
        _, rows = choose_finetune_knobs(train, train_examples, work / "grid" / f"o{order}", trial)
        for row in rows:
            print("grid", json.dumps({"prior_order": order} | {k: round(v, 4) if isinstance(v, float) else v
                                                          for k, v in row.items()}))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", default="/tmp/fc/main/data/warehouse.duckdb")
    parser.add_argument("--max-sessions", type=int, default=DEMO["max_sessions"])
    parser.add_argument("--epochs", type=int, default=DEMO["epochs"])
    parser.add_argument("--no-ablation", action="store_true")
    parser.add_argument("--grid", action="store_true")
    parser.add_argument("--positions", nargs="+", default=["all"], help="fine-tuning positions per session: N or all")
    parser.add_argument("--grid-orders", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--grid-only", action="store_true", help="the validation grid alone, no test run")
    parser.add_argument("--no-leave-out", action="store_true",
                        help="training examples see their own session in the prior (the check of that choice)")
    args = parser.parse_args()
    if args.no_leave_out:
        from persona_dagster.sessionbert.markov_prior import NgramPrior

        counted = NgramPrior.log_probs
        NgramPrior.log_probs = lambda self, histories, own_sessions=None: counted(self, histories)
    con = duckdb.connect(args.warehouse, read_only=True)
    try:
        sessions = read_sessions(con, latest=args.max_sessions)
    finally:
        con.close()
    train, test = split_by_time(sessions, quantile=1 - DEMO["test_fraction"])
    cfg = demo_config(args.epochs, DEMO["preset"])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if args.grid or args.grid_only:
            grid(train, cfg, work, tuple(args.grid_orders))
        if args.grid_only:
            return
        for positions in args.positions:
            run_cfg = dataclasses.replace(cfg, finetune_positions=None if positions == "all" else int(positions))
            print(f"== fine-tuning positions per session: {positions}")
            compare(sessions, train, test, run_cfg, work / f"positions-{positions}", not args.no_ablation)


def compare(sessions, train, test, cfg: ExperimentConfig, work: Path, ablation: bool) -> None:
    """compare_models (+ the length ablation) as the asset runs them, printed."""
    started, cpu_started = time.perf_counter(), _cpu_seconds()
    result = compare_models(train, test, work / "compare", cfg)
    compared = time.perf_counter() - started
    if ablation:
        small = sessions.tail(DEMO["ablation_max_sessions"])
        small_train, small_test = split_by_time(small, quantile=1 - DEMO["test_fraction"])
        chosen = dataclasses.replace(cfg.finetune, lr=result["validation"]["chosen_finetune_lr"])
        length_ablation(small_train, small_test, work / "ablation",
                        dataclasses.replace(cfg, preset=DEMO["ablation_preset"], finetune=chosen,
                                            prior_order=result["prior"]["order"],
                                            correction=result["validation"]["chosen_correction"]),
                        lengths=DEMO["ablation_lengths"])
    total, cpu = time.perf_counter() - started, _cpu_seconds() - cpu_started
    print(f"sessions {len(sessions)} (train {len(train)}, test {len(test)}); "
          f"{result['n_train_examples']} train / {result['n_test_examples']} test examples")
    print("validation", json.dumps(result["validation"], indent=1, default=float))
    print_intervals(result["intervals"])
    print(f"compare_models {compared:.1f} s; with the length ablation (the asset's work) {total:.1f} s wall, "
          f"{cpu:.1f} s CPU (user + system; steadier than wall time on a shared machine)")

if __name__ == "__main__":
    main()
