"""The persona induction evaluation's figures: every writer on the held-out users, paired differences, examples."""

from __future__ import annotations

import csv
from collections import defaultdict
from collections.abc import Mapping, Sequence
from pathlib import Path

from persona_dagster.personas.future_interactions import evidence_matches
from persona_dagster.personas.induction_evaluation import baseline_hits, paired, per_user_metrics, summarise
from persona_dagster.personas.induction_run import InductionSetup
from persona_dagster.personas.persona_judge import Catalogue

COMPARED = ("training_score", "task_f1", "service_f1", "label_identifies_true_persona", "hallucination_rate")


def true_personas(ground_truth: Path) -> dict[str, list[str]] | None:
    """{user: [main persona, second persona]} from the generator's users.csv (None for real logs)."""
    users_csv = Path(ground_truth) / "users.csv"
    if not users_csv.exists():
        return None
    with open(users_csv, newline="") as fh:
        return {r["user_id"]: [p for p in (r["main_persona"], r["second_persona"]) if p] for r in csv.DictReader(fh)}


def clustering_recovery(setup: InductionSetup, truth: Mapping[str, Sequence[str]] | None, catalogue: Catalogue,
                        event_task: Mapping[str, str] | None) -> float | None:
    """Share of users whose main true persona some memory cluster recovers: a property of the clustering."""
    if truth is None or event_task is None:
        return None
    by_id = {m.memory_id: m for m in setup.memories}
    found = defaultdict(bool)
    for task in setup.tasks:
        main = truth.get(task.user_id, [""])[0]
        tasks_of_events = [event_task.get(e, "") for i in task.evidence_ids for e in by_id[i].event_ids]
        found[task.user_id] |= evidence_matches(tasks_of_events, catalogue.persona_tasks.get(main, frozenset()))
    return sum(found.values()) / len(found) if found else None


def writer_figures(setup: InductionSetup, written: Mapping[str, Sequence[Sequence[str]]], catalogue: Catalogue,
                   truth, future, seen, popularity) -> tuple[list[dict], dict, list[dict]]:
    """(one row per writer and baseline, πθ's paired differences to π0 and zero-shot, a few example personas)."""
    per_user = {w: per_user_metrics(setup, texts, catalogue, truth, future, seen, popularity)
                for w, texts in written.items()}
    per_user.update(baseline_hits(setup, catalogue, future, seen, popularity))
    differences = {"pi_theta_minus_pi0": paired(per_user, "pi_theta", "pi0", COMPARED),
                   "pi_theta_minus_zero_shot": paired(per_user, "pi_theta", "zero_shot", COMPARED)}
    examples = [{"user_id": t.user_id, "cluster_id": t.cluster_id,
                 **{w: texts[i][0] for w, texts in written.items()}} for i, t in enumerate(setup.tasks[:6])]
    return summarise(per_user), differences, examples
