"""Persona induction evaluation on held-out users and later days, by a judge independent of the training reward."""

import dagster as dg
from dagster_duckdb import DuckDBResource

from persona_dagster.defs.automation.conditions import retrain_condition
from persona_dagster.defs.metadata import table
from persona_dagster.defs.partitions import DUCKDB_POOL
from persona_dagster.defs.personas.assets import (
    GROUP, induced_personas, persona_policy, policy_facts, read_memories, sampling_of, split_of, torch_threads,
)
from persona_dagster.defs.personas.config import PersonaPolicyConfig
from persona_dagster.defs.warehouse.keys import TASK_REFERENCE
from persona_dagster.defs.resources import MLflowResource, ModelStoreResource, ReportsResource
from persona_dagster.personas.groupwise_dpo import sampled_quality
from persona_dagster.personas.induction_evaluation import item_futures
from persona_dagster.personas.induction_report import COMPARED, clustering_recovery, true_personas, writer_figures
from persona_dagster.personas.induction_run import prepare_induction
from persona_dagster.personas.policy_model import PRESETS, load_policy, zero_shot_policy
from persona_dagster.personas.policy_tokenizer import load_policy_tokenizer
from persona_dagster.warehouse.persona_reads import read_catalogue, read_event_tasks

EVAL_SEED = 424242


def _decoding(config: PersonaPolicyConfig) -> str:
    if config.eval_temperature == 0:
        return "greedy decoding (one persona per cluster)"
    return f"{config.eval_samples} samples per cluster at temperature {config.eval_temperature}"


def _written(setup, config: PersonaPolicyConfig, facts: dict, models: ModelStoreResource) -> dict[str, list[list[str]]]:
    """{writer: per task, eval_samples texts}: heuristic writer, zero-shot backbone, π0, πθ on the same clusters."""
    writers = {"heuristic_writer": [[t.teacher.text] for t in setup.tasks]}
    loaders = {}
    if facts["backbone"] not in PRESETS:
        loaders["zero_shot"] = lambda: zero_shot_policy(facts["backbone"], models.path)
    loaders["pi0"] = lambda: load_policy(models.current("persona_policy_pi0").path)
    loaders["pi_theta"] = lambda: load_policy(models.current("persona_policy").path)
    sampling = sampling_of(config, config.eval_samples, EVAL_SEED, config.eval_temperature)
    for name, load in loaders.items():
        policy, _ = load()
        writers[name], _ = sampled_quality(policy, setup.tokenizer, setup.tasks, setup.scorer, sampling)
    return writers


@dg.asset(
    deps=[persona_policy, induced_personas, *TASK_REFERENCE], group_name=GROUP, kinds={"pytorch", "mlflow"}, pool=DUCKDB_POOL,
    automation_condition=retrain_condition(),
)
def persona_induction_evaluation(context: dg.AssetExecutionContext, config: PersonaPolicyConfig,
                                 warehouse: DuckDBResource, mlflow: MLflowResource, models: ModelStoreResource,
                                 reports: ReportsResource) -> dg.MaterializeResult:
    """Heuristic / zero-shot / π0 / πθ on held-out users: training score, judge vs true personas, Hit@k on new items, hallucinations."""
    stored = models.current("persona_policy")
    facts = policy_facts(stored)
    tokenizer = load_policy_tokenizer(stored.path)  # the policies themselves load one at a time in _written
    with warehouse.get_connection() as con:
        memories = read_memories(con)
        split = split_of(memories, config)
        users = [u for u in split.heldout_users if u not in set(facts["train_users"])]
        before, after = split.before(memories, users), split.after(memories, users)
        catalogue = read_catalogue(con, {p for m in memories for p in m.pages})
        truth = true_personas(reports.truth)
        events_truth = reports.truth / "events_truth.parquet"
        event_task = read_event_tasks(con, events_truth) if truth is not None and events_truth.exists() else None
        seen, future, _ = item_futures(before, after)
        _, _, popularity = item_futures(split.before(memories, sorted({m.user_id for m in memories})), [])
        with torch_threads(config.cpu_threads):
            setup = prepare_induction(before, facts["max_prompt_tokens"], tokenizer=tokenizer,
                                      max_tasks=config.eval_max_tasks)
            recovery = clustering_recovery(setup, truth, catalogue, event_task)
    with torch_threads(config.cpu_threads):
        written = _written(setup, config, facts, models)
    rows, differences, examples = writer_figures(setup, written, catalogue, truth, future, seen, popularity)
    report = reports.write("persona_induction", {
        "dataset": {"heldout_users": len(users), "tasks": len(setup.tasks), "memories_before": len(before),
                    "cutoff": str(split.cutoff), "items": len(catalogue.activity_task),
                    "users_with_new_items": sum(bool(v) for v in future.values())},
        "backbone": facts["backbone"], "decoding": _decoding(config), "writers": rows, "differences": differences,
        "true_persona_recovery_by_clustering": recovery, "examples": examples,
        "note": "held-out users (never trained on), personas induced from memories up to the cutoff; "
                "training_score = the DPO reward (PersonaScorer.final); task/service precision-recall-F1 and "
                "label_identifies_true_persona = independent judge vs ground_truth/users.csv; hit@k over items new "
                "to the user after the cutoff, k = 2/5/10% of the catalogue; hallucination_rate = named services, "
                "pages, tasks outside the evidence plus product-like names outside the catalogue, over all named; "
                + _decoding(config) + ", no best-of-K",
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
