"""Persona induction evaluation on held-out users and later days, by a judge independent of the training reward."""

import csv
from collections import defaultdict
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from persona_dagster.defs.automation.conditions import retrain_condition
from persona_dagster.defs.metadata import table
from persona_dagster.defs.partitions import DUCKDB_POOL
from persona_dagster.defs.personas.assets import (
    GROUP, induced_personas, persona_policy, policy_facts, read_memories, sampling_of, split_of, torch_threads,
)
from persona_dagster.defs.personas.config import PersonaPolicyConfig
from persona_dagster.defs.resources import MLflowResource
from persona_dagster.model_store import current
from persona_dagster.personas.future_interactions import evidence_matches
from persona_dagster.personas.groupwise_dpo import sampled_quality
from persona_dagster.personas.induction_evaluation import (
    baseline_hits, item_futures, paired, per_user_metrics, summarise,
)
from persona_dagster.personas.induction_run import prepare_induction
from persona_dagster.personas.persona_judge import Catalogue
from persona_dagster.personas.policy_model import PRESETS, load_policy, zero_shot_policy
from persona_dagster.reports import write_report
from persona_dagster.settings import data_paths

EVAL_SEED = 424242
COMPARED = ("training_score", "task_f1", "service_f1", "label_identifies_true_persona", "hallucination_rate")


def _catalogue(con, items: set[str]) -> Catalogue:
    """Every item seen in a memory, with its task from the reference map where it has one."""
    mapped = {f"{s};{p}": t for s, p, t in con.execute(
        "select service, page, task from staging.stg_reference__activity_tasks").fetchall()}
    persona_tasks = defaultdict(set)
    for persona, task in con.execute("select persona, task from staging.stg_reference__persona_tasks").fetchall():
        persona_tasks[persona].add(task)
    return Catalogue({i: mapped.get(i, "") for i in items}, {p: frozenset(t) for p, t in persona_tasks.items()})


def _true_personas(ground_truth: Path) -> dict[str, list[str]] | None:
    users_csv = ground_truth / "users.csv"
    if not users_csv.exists():
        return None
    with open(users_csv, newline="") as fh:
        return {r["user_id"]: [p for p in (r["main_persona"], r["second_persona"]) if p] for r in csv.DictReader(fh)}


def _recovery(con, setup, truth, catalogue: Catalogue, ground_truth: Path) -> float | None:
    """Share of users whose main true persona some memory cluster recovers: a property of the clustering."""
    events = ground_truth / "events_truth.parquet"
    if truth is None or not events.exists():
        return None
    event_task = dict(con.execute("select event_id, task from read_parquet(?)", [str(events)]).fetchall())
    by_id = {m.memory_id: m for m in setup.memories}
    found = defaultdict(bool)
    for task in setup.tasks:
        main = truth.get(task.user_id, [""])[0]
        tasks_of_events = [event_task.get(e, "") for i in task.evidence_ids for e in by_id[i].event_ids]
        found[task.user_id] |= evidence_matches(tasks_of_events, catalogue.persona_tasks.get(main, frozenset()))
    return sum(found.values()) / len(found) if found else None


def _written(setup, config: PersonaPolicyConfig, facts: dict) -> dict[str, list[list[str]]]:
    """{writer: per task, eval_samples texts}: heuristic writer, zero-shot backbone, π0, πθ on the same clusters."""
    writers = {"heuristic_writer": [[t.teacher.text] for t in setup.tasks]}
    models = {}
    if facts["backbone"] not in PRESETS:
        models["zero_shot"] = lambda: zero_shot_policy(facts["backbone"], data_paths().models)
    models["pi0"] = lambda: load_policy(current(data_paths().models, "persona_policy_pi0").path)
    models["pi_theta"] = lambda: load_policy(current(data_paths().models, "persona_policy").path)
    sampling = sampling_of(config, config.eval_samples, EVAL_SEED)
    for name, load in models.items():
        policy, _ = load()
        writers[name], _ = sampled_quality(policy, setup.tokenizer, setup.tasks, setup.scorer, sampling)
    return writers


@dg.asset(
    deps=[persona_policy, induced_personas], group_name=GROUP, kinds={"pytorch", "mlflow"}, pool=DUCKDB_POOL,
    automation_condition=retrain_condition(),
)
def persona_induction_evaluation(context: dg.AssetExecutionContext, config: PersonaPolicyConfig,
                                 warehouse: DuckDBResource, mlflow: MLflowResource) -> dg.MaterializeResult:
    """Heuristic / zero-shot / π0 / πθ on held-out users: training score, judge vs true personas, Hit@k on new items, hallucinations."""
    paths = data_paths()
    stored = current(paths.models, "persona_policy")
    facts = policy_facts(stored)
    _, tokenizer = load_policy(stored.path)
    with warehouse.get_connection() as con:
        memories = read_memories(con)
        split = split_of(memories, config)
        users = [u for u in split.heldout_users if u not in set(facts["train_users"])]
        before, after = split.before(memories, users), split.after(memories, users)
        catalogue = _catalogue(con, {p for m in memories for p in m.pages})
        truth = _true_personas(paths.ground_truth)
        seen, future, _ = item_futures(before, after)
        _, _, popularity = item_futures(split.before(memories, sorted({m.user_id for m in memories})), [])
        with torch_threads(config.cpu_threads):
            setup = prepare_induction(before, facts["max_prompt_tokens"], tokenizer=tokenizer,
                                      max_tasks=config.eval_max_tasks)
            recovery = _recovery(con, setup, truth, catalogue, paths.ground_truth)
    with torch_threads(config.cpu_threads):
        written = _written(setup, config, facts)
    per_user = {w: per_user_metrics(setup, texts, catalogue, truth, future, seen, popularity)
                for w, texts in written.items()}
    per_user.update(baseline_hits(setup, catalogue, future, seen, popularity))
    rows = summarise(per_user)
    differences = {"pi_theta_minus_pi0": paired(per_user, "pi_theta", "pi0", COMPARED),
                   "pi_theta_minus_zero_shot": paired(per_user, "pi_theta", "zero_shot", COMPARED)}
    examples = [{"user_id": t.user_id, "cluster_id": t.cluster_id,
                 **{w: texts[i][0] for w, texts in written.items()}} for i, t in enumerate(setup.tasks[:6])]
    report = write_report(paths.reports, "persona_induction", {
        "dataset": {"heldout_users": len(users), "tasks": len(setup.tasks), "memories_before": len(before),
                    "cutoff": str(split.cutoff), "items": len(catalogue.activity_task),
                    "users_with_new_items": sum(bool(v) for v in future.values())},
        "backbone": facts["backbone"], "writers": rows, "differences": differences,
        "true_persona_recovery_by_clustering": recovery, "examples": examples,
        "note": "held-out users (never trained on), personas induced from memories up to the cutoff; "
                "training_score = the DPO reward (PersonaScorer.final); task/service precision-recall-F1 and "
                "label_identifies_true_persona = independent judge vs ground_truth/users.csv; hit@k over items new "
                "to the user after the cutoff, k = 2/5/10% of the catalogue; hallucination_rate = named services, "
                "pages, tasks outside the evidence plus product-like names outside the catalogue, over all named; "
                f"{config.eval_samples} samples per cluster at temperature {config.temperature}, no best-of-K",
    })
    with mlflow.start_run("personas", run_name="persona_induction_evaluation",
                          tags={"asset": "persona_induction_evaluation", "backbone": facts["backbone"]}):
        import mlflow as ml

        for row in rows:
            ml.log_metrics({f"{row['writer']}_{k}".replace("@", "_at_"): float(v) for k, v in row.items()
                            if isinstance(v, float) and v == v})
        ml.log_artifact(str(report))
    shown = ["writer", *COMPARED, *sorted(k for k in rows[-1] if k.startswith("hit@") and "_" not in k)]
    return dg.MaterializeResult(metadata={
        "writers": table([{k: r.get(k) for k in shown} for r in rows]),
        "examples": table(examples), "report": str(report), "cutoff": str(split.cutoff),
        "true_persona_recovery_by_clustering": recovery,
    })
