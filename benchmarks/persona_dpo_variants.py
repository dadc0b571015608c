"""Groupwise-DPO variants from one π0, each judged (greedy) on the same held-out users: paired πθ − π0.

    python benchmarks/persona_dpo_variants.py --data DIR \
        --variants '[{"dpo_tasks": 4}, {"dpo_tasks": 24, "teacher_in_group": true}, {"dpo_tasks": 24, "dpo_from": 24}]' \
        [--users 12] [--heldout 20] [--tasks 24] [--pool 48] [--eval-tasks 20] [--sft-epochs 2] [--new-tokens 40]

DIR holds a built warehouse (`make demo`, or a development draw) and the packaged backbone in its models/.
π0 is the demo's SFT (192-token prompts, LoRA r=8, lr 2e-3, batch 4), trained once and cached under DIR/lab/;
each variant overrides GroupwiseParams (and dpo_tasks, k, temperature) and restarts from π0, so the variants
differ only in DPO. Per variant: DPO wall time, how many judged personas changed, the reward's components,
the judge's figures, three π0 -> πθ examples, and πθ − π0 with 95% paired-bootstrap intervals over users.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from persona_dagster.defs.personas.assets import read_memories  # noqa: E402
from persona_dagster.personas.groupwise_dpo import GroupwiseParams, sampled_quality, train_groupwise_dpo  # noqa: E402
from persona_dagster.personas.induction_evaluation import item_futures, paired, per_user_metrics  # noqa: E402
from persona_dagster.personas.induction_report import COMPARED, true_personas  # noqa: E402
from persona_dagster.personas.induction_run import prepare_induction, start_policy  # noqa: E402
from persona_dagster.personas.induction_split import split_induction  # noqa: E402
from persona_dagster.personas.induction_tasks import sft_examples  # noqa: E402
from persona_dagster.personas.policy_model import AdapterParams, load_policy, save_policy  # noqa: E402
from persona_dagster.personas.policy_sft import SFTParams, supervised_finetune  # noqa: E402
from persona_dagster.personas.sampling import SamplingParams  # noqa: E402
from persona_dagster.warehouse.persona_reads import read_catalogue  # noqa: E402

SHOWN = [*COMPARED, "service_precision", "service_recall"]
PROMPT_TOKENS = 192
# The asset's DPO settings (PersonaPolicyConfig) that a variant starts from.
DPO_DEFAULTS = {"rounds": 1, "beta": 0.1, "optimizer": "adamw_torch", "learning_rate": 2e-4, "epochs_per_round": 1,
                "nll_weight": 1.0}


def _means(metrics: dict) -> str:
    return " ".join(f"{k}={np.mean(list(metrics[k].values())):.3f}" for k in SHOWN if metrics.get(k))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True, type=Path)
    parser.add_argument("--variants", required=True,
                        help="JSON list of GroupwiseParams overrides (+ dpo_tasks, dpo_from, k, temperature, sampling_seed)")
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--heldout", type=int, default=20)
    parser.add_argument("--tasks", type=int, default=24)
    parser.add_argument("--eval-tasks", type=int, default=20)
    parser.add_argument("--sft-epochs", type=int, default=2)
    parser.add_argument("--new-tokens", type=int, default=40)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--pool", type=int, default=0,
                        help="clusters of the training users to build (>= --tasks): a variant's 'dpo_from' may start "
                             "its groups past the --tasks that SFT saw")
    parser.add_argument("--full-teacher", action="store_true",
                        help="SFT on the teacher's full texts, not those rewritten to end inside --new-tokens")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    con = duckdb.connect(str(args.data / "warehouse.duckdb"), read_only=True)
    memories = read_memories(con)
    split = split_induction(memories, args.users, args.heldout, 0.7, 0)
    started = time.perf_counter()
    setup, policy = start_policy("smollm2-135m-instruct", split.before(memories, split.train_users),
                                 args.data / "models", PROMPT_TOKENS, max(args.tasks, args.pool),
                                 AdapterParams(r=8, alpha=16), 0, None if args.full_teacher else args.new_tokens)
    examples = sft_examples(setup.tasks[:args.tasks])
    # Keyed by the SFT data itself: a change of prompt or teacher trains a new π0.
    digest = hashlib.sha256(json.dumps(examples).encode()).hexdigest()[:10]
    cache = args.data / "lab" / f"pi0_e{args.sft_epochs}_{digest}"
    if not cache.exists():
        supervised_finetune(policy, setup.tokenizer, examples,
                            SFTParams(epochs=args.sft_epochs, learning_rate=2e-3, batch_size=4, seed=0))
        save_policy(policy, setup.tokenizer, cache)
    print(f"π0 ready in {time.perf_counter() - started:.0f} s ({cache})", flush=True)

    users = list(split.heldout_users)
    before, after = split.before(memories, users), split.after(memories, users)
    catalogue = read_catalogue(con, {p for m in memories for p in m.pages})
    truth = true_personas(args.data / "ground_truth")
    seen, future, _ = item_futures(before, after)
    _, _, popularity = item_futures(split.before(memories, sorted({m.user_id for m in memories})), [])
    judged = prepare_induction(before, PROMPT_TOKENS, tokenizer=setup.tokenizer, max_tasks=args.eval_tasks)
    greedy = SamplingParams(k=1, temperature=0, max_new_tokens=args.new_tokens, seed=424242)

    def judge(model) -> tuple[list[list[str]], dict, str]:
        texts, _ = sampled_quality(model, judged.tokenizer, judged.tasks, judged.scorer, greedy)
        scores = [t.score(judged.scorer, x[0]) for t, x in zip(judged.tasks, texts, strict=True)]
        parts = " ".join(f"{c}={np.mean([getattr(s, c) for s in scores]):.3f}"
                         for c in ("cohesion", "alignment", "truthfulness", "specificity", "label_focus", "final"))
        return texts, per_user_metrics(judged, texts, catalogue, truth, future, seen, popularity), parts

    pi0_texts, pi0_metrics, pi0_parts = judge(load_policy(cache)[0])
    print(f"π0: {_means(pi0_metrics)}\n   reward {pi0_parts}", flush=True)
    for variant in json.loads(args.variants):
        overrides = dict(variant)
        dpo_tasks, k = overrides.pop("dpo_tasks", 4), overrides.pop("k", 3)
        dpo_from = overrides.pop("dpo_from", 0)
        temperature = overrides.pop("temperature", 0.8)
        sampling = SamplingParams(k=k, temperature=temperature, top_k=50, max_new_tokens=args.new_tokens,
                                  seed=overrides.pop("sampling_seed", 0))
        params = GroupwiseParams(**{**DPO_DEFAULTS, **overrides, "sampling": sampling})
        model, _ = load_policy(cache)
        started = time.perf_counter()
        groups = setup.tasks[dpo_from:dpo_from + dpo_tasks]
        rounds = train_groupwise_dpo(model, setup.tokenizer, groups, setup.scorer, params)
        seconds = time.perf_counter() - started
        texts, metrics, parts = judge(model)
        changed = sum(a[0] != b[0] for a, b in zip(texts, pi0_texts, strict=True))
        print(f"== {json.dumps(variant)}: {len(groups)} groups, DPO {seconds:.0f} s, {changed}/{len(texts)} personas changed, rounds "
              f"{[(round(r.mean_quality, 3), r.n_groups, round(r.reward_accuracy, 2)) for r in rounds]}", flush=True)
        print(f"   πθ: {_means(metrics)}\n   reward {parts}")
        for i in range(min(3, len(texts))):
            print(f"   π0: {pi0_texts[i][0]!r}\n   πθ: {texts[i][0]!r}")
        differences = paired({"pi_theta": metrics, "pi0": pi0_metrics}, "pi_theta", "pi0", COMPARED)
        print("   πθ − π0: " + "; ".join(f"{n} {d['mean']:+.3f} [{d['lo']:+.3f}, {d['hi']:+.3f}] n={d['n']}"
                                         for n, d in differences.items()), flush=True)


if __name__ == "__main__":
    main()
