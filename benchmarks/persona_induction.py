"""persona_policy + persona_induction_evaluation at a chosen budget on an existing data directory.

    python benchmarks/persona_induction.py --data /tmp/copy-of-data [--users 10] [--heldout 10]
        [--tasks 24] [--eval-tasks 30] [--sft-epochs 3] [--candidates 4] [--rounds 1] [--samples 2]
        [--teacher-in-group] [--truthful-first] [--nll-weight 1.0] [--eval-temperature 0] [--eval-only]

The data directory must hold a built warehouse (`make demo`, or `persona-dagster demo --seed 8` for a
development dataset); work on a copy, since the run publishes new persona_policy versions into its
models/. Runs the two assets in process with the given budget (the rest of the config is the asset
defaults), then prints the report's writers x (training score, judge, Hit@k, hallucination rate) with
95% intervals, the paired differences, and the wall time of each asset.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, type=Path, help="data directory with a built warehouse")
    parser.add_argument("--users", type=int, default=10, help="training users")
    parser.add_argument("--heldout", type=int, default=10, help="held-out users (judged only)")
    parser.add_argument("--tasks", type=int, default=24, help="memory clusters the policy trains on")
    parser.add_argument("--dpo-tasks", type=int, default=None, help="DPO groups from the first N clusters (default all)")
    parser.add_argument("--eval-tasks", type=int, default=30, help="memory clusters judged")
    parser.add_argument("--sft-epochs", type=int, default=3)
    parser.add_argument("--sft-batch-size", type=int, default=4)
    parser.add_argument("--sft-lr", type=float, default=None, help="default: the asset's sft_learning_rate")
    parser.add_argument("--candidates", type=int, default=4, help="K of groupwise DPO")
    parser.add_argument("--rounds", type=int, default=1, help="DPO rounds")
    parser.add_argument("--samples", type=int, default=2, help="samples per judged cluster")
    parser.add_argument("--new-tokens", type=int, default=64)
    parser.add_argument("--prompt-tokens", type=int, default=256)
    parser.add_argument("--teacher-in-group", action="store_true", help="DPO groups: K-1 samples + the SFT teacher")
    parser.add_argument("--truthful-first", action="store_true", help="DPO ranks candidates naming unsupported entities last")
    parser.add_argument("--nll-weight", type=float, default=None,
                        help="+ this x the best candidate's per-token NLL (default: the asset's dpo_nll_weight)")
    parser.add_argument("--eval-temperature", type=float, default=None,
                        help="decoding of the judged writers: 0 = greedy (default: the asset's eval_temperature)")
    parser.add_argument("--eval-only", action="store_true", help="judge the current policy again, train nothing")
    parser.add_argument("--print-only", action="store_true", help="print the data directory's last report, run nothing")
    args = parser.parse_args()

    os.environ["PERSONA_DAGSTER_DATA_DIR"] = str(args.data.resolve())
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import dagster as dg

    from persona_dagster.demo import landed_days, prepare_dagster_home
    from persona_dagster.runner import materialize_days
    from persona_dagster.settings import data_paths

    paths = data_paths()
    prepare_dagster_home(paths)
    days = landed_days(paths.landing)
    budget = {"max_users": args.users, "heldout_users": args.heldout, "max_tasks": args.tasks, "dpo_max_tasks": args.dpo_tasks,
              "eval_max_tasks": args.eval_tasks, "max_prompt_tokens": args.prompt_tokens,
              "sft_epochs": args.sft_epochs, "sft_batch_size": args.sft_batch_size, "candidates": args.candidates, "dpo_rounds": args.rounds,
              "max_new_tokens": args.new_tokens, "eval_samples": args.samples,
              "dpo_teacher_in_group": args.teacher_in_group, "dpo_truthful_first": args.truthful_first,
              **({} if args.nll_weight is None else {"dpo_nll_weight": args.nll_weight}),
              **({} if args.sft_lr is None else {"sft_learning_rate": args.sft_lr}),
              **({} if args.eval_temperature is None else {"eval_temperature": args.eval_temperature})}
    names = ("persona_induction_evaluation",) if args.eval_only else ("persona_policy", "persona_induction_evaluation")
    walls = {}
    for name in names if not args.print_only else ():
        started = time.perf_counter()
        results = materialize_days(days[0], days[-1], instance=dg.DagsterInstance.get(),
                                   selection={dg.AssetKey(name)}, asset_config={name: budget})
        walls[name] = time.perf_counter() - started
        if not all(r.success for r in results):
            raise SystemExit(f"{name} failed")
    report = json.loads((paths.reports / "persona_induction.json").read_text())
    print(f"budget {budget}")
    print(f"dataset {report['dataset']}  backbone {report['backbone']}  decoding {report.get('decoding')}")
    print("wall " + ", ".join(f"{n} {s:.0f} s" for n, s in walls.items()))
    shown = ["training_score", "task_f1", "service_f1", "label_identifies_true_persona", "hallucination_rate"]
    hits = sorted((k for k in report["writers"][0] if k.startswith("hit@") and "_" not in k),
                  key=lambda k: int(k[4:]))
    print("| writer | " + " | ".join(shown + hits) + " |")
    print("|---" * (1 + len(shown) + len(hits)) + "|")
    for row in report["writers"]:
        # Popularity and the user's own history have Hit@k only.
        cells = [f"{row[k]:.3f} [{row[k + '_ci'][0]:.3f}, {row[k + '_ci'][1]:.3f}]" if k in row else "-"
                 for k in shown + hits]
        n = row.get("training_score_n", row.get(hits[0] + "_n") if hits else "?")
        print(f"| {row['writer']} (n={n}) | " + " | ".join(cells) + " |")
    for pair, by_metric in report["differences"].items():
        print(pair + ": " + "; ".join(f"{m} {v['mean']:+.3f} [{v['lo']:+.3f}, {v['hi']:+.3f}] n={v['n']}"
                                      for m, v in by_metric.items()))
    for example in report["examples"][:3]:
        print(json.dumps(example, ensure_ascii=False))


if __name__ == "__main__":
    main()
