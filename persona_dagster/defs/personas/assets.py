"""Persona induction as assets: memories per day, the policy (π0 by SFT, πθ by groupwise DPO), personas."""

import dataclasses
import json
import tempfile
from pathlib import Path

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from persona_dagster.defs.automation.conditions import daily_condition, retrain_condition
from persona_dagster.defs.metadata import table
from persona_dagster.defs.partitions import DUCKDB_POOL, daily_partitions, single_run_backfill
from persona_dagster.defs.personas.config import PersonaPolicyConfig
from persona_dagster.defs.resources import MLflowResource
from persona_dagster.model_store import current, publish
from persona_dagster.personas.groupwise_dpo import GroupwiseParams, train_groupwise_dpo
from persona_dagster.personas.induction_run import best_personas, prepare_induction, writer_quality
from persona_dagster.personas.induction_tasks import sft_examples
from persona_dagster.personas.memories import memories_frame, memories_from_segments
from persona_dagster.personas.policy_model import build_policy, load_policy, save_policy
from persona_dagster.personas.policy_sft import SFTParams, supervised_finetune
from persona_dagster.personas.sampling import SamplingParams
from persona_dagster.sessionbert.device import cpu_threads as torch_threads
from persona_dagster.settings import data_paths
from persona_dagster.tracking import log_curve, register_model_dir
from persona_dagster.warehouse.ml_tables import ensure_ml_tables, replace_rows, replace_window

GROUP = "personas"
INTENT_SEGMENTS = dg.AssetKey(["marts", "intent_segments"])
GPU_TAGS = {"persona_dagster/gpu": "true"}
MEMORY_COLUMNS = ["memory_id", "user_id", "session_key", "intent", "intent_source", "start_ts", "end_ts",
                  "n_actions", "services", "pages", "event_ids", "text"]


def read_memories(con, max_users: int | None = None):
    """Stored memories (of the first max_users users by id) as IntentMemory objects."""
    users = "" if max_users is None else f"where user_id in (select distinct user_id from ml.intent_memories order by 1 limit {int(max_users)})"
    frame = con.execute(f"select * from ml.intent_memories {users} order by user_id, start_ts, memory_id").df()
    return memories_from_segments(frame.rename(columns={"memory_id": "segment_id"}))


@dg.asset(
    deps=[INTENT_SEGMENTS], group_name=GROUP, kinds={"python", "duckdb"}, partitions_def=daily_partitions,
    backfill_policy=single_run_backfill, pool=DUCKDB_POOL, automation_condition=daily_condition(),
)
def intent_memories(context: dg.AssetExecutionContext, warehouse: DuckDBResource) -> dg.MaterializeResult:
    """One memory per intent segment: a summary of what the user did, when, how often, and its events."""
    window = context.partition_time_window
    first, end = window.start.date(), window.end.date()
    with warehouse.get_connection() as con:
        ensure_ml_tables(con)
        segments = con.execute("select * from marts.intent_segments where event_date >= ? and event_date < ?",
                               [first, end]).df()
        memories = memories_from_segments(segments)
        frame = memories_frame(memories)[MEMORY_COLUMNS] if memories else pd.DataFrame(columns=MEMORY_COLUMNS)
        frame["as_of_date"] = frame["start_ts"].map(lambda ts: pd.Timestamp(ts).date())
        written = replace_window(con, "intent_memories", frame, first, end)
    sample = frame["text"].head(3).tolist() if written else []
    return dg.MaterializeResult(metadata={"memories": written, "sample": dg.MetadataValue.json(sample)})


@dg.asset(
    deps=[intent_memories], group_name=GROUP, kinds={"pytorch", "mlflow"}, pool=DUCKDB_POOL, tags=GPU_TAGS,
    automation_condition=retrain_condition(),
)
def persona_policy(context: dg.AssetExecutionContext, config: PersonaPolicyConfig, warehouse: DuckDBResource,
                   mlflow: MLflowResource) -> dg.MaterializeResult:
    """A small causal LM that writes 'label: description' for a memory cluster: SFT on the heuristic writer, then groupwise DPO."""
    paths = data_paths()
    with warehouse.get_connection() as con:
        memories = read_memories(con, config.max_users)
    if not memories:
        raise dg.Failure("no intent memories: materialize intent_memories for some days first")
    evaluation = SamplingParams(k=config.eval_samples, seed=424242)
    with torch_threads(config.cpu_threads), mlflow.start_run("personas", run_name="persona_policy",
                                                              tags={"asset": "persona_policy"}):
        import mlflow as ml

        setup = prepare_induction(memories, config.max_prompt_tokens)
        ml.log_params({**config.model_dump(), "memories": len(memories), "clusters": len(setup.clusters)})
        policy = build_policy(setup.tokenizer, config.preset, seed=config.seed)
        sft_losses = supervised_finetune(policy, setup.tokenizer, sft_examples(setup.tasks),
                                         SFTParams(epochs=config.sft_epochs, seed=config.seed))
        log_curve(enumerate(sft_losses), "sft_loss")
        quality = {"heuristic_writer": writer_quality(setup), "pi0": writer_quality(setup, policy, evaluation)}
        with tempfile.TemporaryDirectory() as tmp:
            pi0 = publish(save_policy(policy, setup.tokenizer, Path(tmp) / "pi0"), paths.models, "persona_policy_pi0")
        params = GroupwiseParams(rounds=config.dpo_rounds, seed=config.seed,
                                 sampling=dataclasses.replace(GroupwiseParams().sampling, k=config.candidates))
        rounds = train_groupwise_dpo(policy, setup.tokenizer, setup.tasks, setup.scorer, params)
        for r in rounds:
            ml.log_metrics({"round_mean_quality": r.mean_quality, "round_reward_accuracy": r.reward_accuracy,
                            "round_mean_loss": float(sum(r.losses) / max(1, len(r.losses)))}, step=r.round)
        quality["pi_theta"] = writer_quality(setup, policy, evaluation)
        for writer, values in quality.items():
            ml.log_metrics({f"{writer}_{k}": v for k, v in values.items()})
        with tempfile.TemporaryDirectory() as tmp:
            model_dir = save_policy(policy, setup.tokenizer, Path(tmp) / "policy")
            (model_dir / "quality.json").write_text(json.dumps(
                {"quality": quality, "pi0_version": pi0.version, "tasks": len(setup.tasks),
                 "max_prompt_tokens": config.max_prompt_tokens}, indent=2))
            stored = publish(model_dir, paths.models, "persona_policy")
        registered = register_model_dir(stored.path, "persona_policy")
    rows = [{"writer": w, **v} for w, v in quality.items()]
    return dg.MaterializeResult(metadata={
        "version": stored.version, "registered_version": str(registered), "tasks": len(setup.tasks),
        "quality": table(rows),
        "rounds": table([{"round": r.round, "mean_quality": r.mean_quality, "reward_accuracy": r.reward_accuracy,
                          "groups": r.n_groups} for r in rounds]),
        "sft_final_loss": float(sft_losses[-1]),
    })


@dg.asset(
    deps=[persona_policy], group_name=GROUP, kinds={"pytorch", "duckdb"}, pool=DUCKDB_POOL,
    automation_condition=retrain_condition(),
)
def induced_personas(context: dg.AssetExecutionContext, config: PersonaPolicyConfig,
                     warehouse: DuckDBResource) -> dg.MaterializeResult:
    """Several personas per user: the policy's best of K candidates per memory cluster, with its evidence and scores."""
    stored = current(data_paths().models, "persona_policy")
    policy, tokenizer = load_policy(stored.path)
    max_prompt_tokens = json.loads((stored.path / "quality.json").read_text())["max_prompt_tokens"]
    with warehouse.get_connection() as con:
        memories = read_memories(con, config.max_users)
    with torch_threads(config.cpu_threads):
        setup = prepare_induction(memories, max_prompt_tokens, tokenizer=tokenizer)
        chosen = best_personas(setup, policy, SamplingParams(k=config.eval_samples, seed=config.seed))
    frame = pd.DataFrame([{
        "user_id": task.user_id, "cluster_id": task.cluster_id, "label": persona.label,
        "description": persona.description, "evidence_memory_ids": list(task.evidence_ids),
        "cohesion": score.cohesion, "alignment": score.alignment, "truthfulness": score.truthfulness,
        "specificity": score.specificity, "final_score": score.final, "policy_version": stored.version,
    } for task, persona, score in chosen])
    with warehouse.get_connection() as con:
        ensure_ml_tables(con)
        replace_rows(con, "induced_personas", frame)
    return dg.MaterializeResult(metadata={
        "personas": len(frame), "users": int(frame["user_id"].nunique()),
        "mean_final_score": float(frame["final_score"].mean()),
        "examples": table(frame[["user_id", "label", "description", "final_score"]].head(5).to_dict("records")),
    })
