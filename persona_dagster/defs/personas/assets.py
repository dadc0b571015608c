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
from persona_dagster.defs.partitions import DUCKDB_POOL, GPU_TAGS, daily_partitions, single_run_backfill
from persona_dagster.defs.personas.config import PersonaPolicyConfig
from persona_dagster.defs.resources import MLflowResource, ModelStoreResource
from persona_dagster.personas.groupwise_dpo import GroupwiseParams, train_groupwise_dpo
from persona_dagster.personas.induction_run import best_personas, prepare_induction, start_policy, writer_quality
from persona_dagster.personas.induction_split import split_induction
from persona_dagster.personas.induction_tasks import sft_examples
from persona_dagster.personas.memories import memories_frame, memories_from_segments
from persona_dagster.personas.policy_model import AdapterParams, describe, load_policy, save_policy
from persona_dagster.personas.policy_sft import SFTParams, supervised_finetune
from persona_dagster.personas.sampling import SamplingParams
from persona_dagster.sessionbert.device import cpu_threads as torch_threads
from persona_dagster.tracking import log_curve, register_model_dir
from persona_dagster.warehouse.ml_tables import ensure_ml_tables, replace_rows, replace_window
from persona_dagster.warehouse.persona_reads import intent_segments_in_window, memory_rows

GROUP = "personas"
INTENT_SEGMENTS = dg.AssetKey(["marts", "intent_segments"])
MEMORY_COLUMNS = ["memory_id", "user_id", "session_key", "intent", "intent_source", "start_ts", "end_ts",
                  "n_actions", "services", "pages", "event_ids", "text"]


def read_memories(con):
    """Every stored memory as IntentMemory objects."""
    frame = memory_rows(con)
    return memories_from_segments(frame.rename(columns={"memory_id": "segment_id"}))


def split_of(memories, config: PersonaPolicyConfig):
    return split_induction(memories, config.max_users, config.heldout_users, config.train_day_share, config.seed)


def sampling_of(config: PersonaPolicyConfig, k: int, seed: int, temperature: float | None = None) -> SamplingParams:
    """k samples at the config's temperature (or the one given); temperature 0 is greedy, one completion."""
    temperature = config.temperature if temperature is None else temperature
    return SamplingParams(k=1 if temperature == 0 else k, temperature=temperature, top_k=config.top_k,
                          max_new_tokens=config.max_new_tokens, seed=seed)


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
        segments = intent_segments_in_window(con, first, end)
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
                   mlflow: MLflowResource, models: ModelStoreResource) -> dg.MaterializeResult:
    """The persona writer: a LoRA adapter on a pretrained LM, SFT on the heuristic writer's personas (π0), then groupwise DPO (πθ)."""
    with warehouse.get_connection() as con:
        memories = read_memories(con)
    if not memories:
        raise dg.Failure("no intent memories: materialize intent_memories for some days first")
    split = split_of(memories, config)
    train = split.before(memories, split.train_users)
    adapter = AdapterParams(r=config.lora_r, alpha=config.lora_alpha)
    with torch_threads(config.cpu_threads), mlflow.start_run("personas", run_name="persona_policy",
                                                              tags={"asset": "persona_policy"}):
        import mlflow as ml

        setup, policy = start_policy(config.backbone, train, models.path, config.max_prompt_tokens,
                                     config.max_tasks, adapter, config.seed, config.max_new_tokens)
        backbone = describe(policy)
        ml.log_params({**config.model_dump(), **{f"policy_{k}": v for k, v in backbone.items()},
                       "memories": len(train), "tasks": len(setup.tasks), "cutoff": str(split.cutoff)})
        sft_losses = supervised_finetune(policy, setup.tokenizer, sft_examples(setup.tasks), SFTParams(
            epochs=config.sft_epochs, learning_rate=config.sft_learning_rate, batch_size=config.sft_batch_size,
            seed=config.seed))
        log_curve(enumerate(sft_losses), "sft_loss")
        with tempfile.TemporaryDirectory() as tmp:
            pi0 = models.publish(save_policy(policy, setup.tokenizer, Path(tmp) / "pi0"), "persona_policy_pi0")
        params = GroupwiseParams(rounds=config.dpo_rounds, beta=config.dpo_beta, optimizer=config.dpo_optimizer,
                                 learning_rate=config.dpo_learning_rate, epochs_per_round=config.dpo_epochs,
                                 sampling=sampling_of(config, config.candidates, config.seed), seed=config.seed,
                                 teacher_in_group=config.dpo_teacher_in_group, nll_weight=config.dpo_nll_weight,
                                 truthful_first=config.dpo_truthful_first)
        dpo_tasks = setup.tasks[:config.dpo_max_tasks]
        rounds = train_groupwise_dpo(policy, setup.tokenizer, dpo_tasks, setup.scorer, params)
        step = 0
        for r in rounds:
            ml.log_metrics({"dpo_mean_quality": r.mean_quality, "dpo_reward_accuracy": r.reward_accuracy,
                            "dpo_groups": r.n_groups}, step=r.round)
            for loss in r.losses:
                ml.log_metric("dpo_loss", loss, step=step)
                step += 1
        teacher = writer_quality(setup)["mean"]
        ml.log_metrics({"heuristic_writer_mean_quality": teacher, "sft_final_loss": sft_losses[-1]})
        facts = {"backbone": config.backbone, "backbone_facts": backbone, "pi0_version": pi0.version,
                 "tasks": len(setup.tasks), "dpo_tasks": len(dpo_tasks), "max_prompt_tokens": config.max_prompt_tokens,
                 "cutoff": str(split.cutoff), "train_users": list(split.train_users),
                 "heldout_users": list(split.heldout_users), "heuristic_writer_mean_quality": teacher,
                 "rounds": [dataclasses.asdict(r) for r in rounds]}
        with tempfile.TemporaryDirectory() as tmp:
            model_dir = save_policy(policy, setup.tokenizer, Path(tmp) / "policy")
            (model_dir / "training.json").write_text(json.dumps(facts, indent=2))
            stored = models.publish(model_dir, "persona_policy")
        registered = register_model_dir(
            stored.path, "persona_policy",
            "The persona-writing policy: a LoRA adapter on a pretrained LM, SFT on the heuristic writer's personas "
            "then groupwise DPO (asset persona_policy); writes induced_personas.",
            {"backbone": config.backbone, **backbone, "data_window": f"..{split.cutoff}",
             "train_users": len(split.train_users)})
    return dg.MaterializeResult(metadata={
        "version": stored.version, "registered_version": str(registered), "backbone": config.backbone,
        "tasks": len(setup.tasks), "dpo_tasks": len(dpo_tasks), "trainable_parameters": int(backbone["trainable_parameters"]),
        "rounds": table([{"round": r.round, "mean_quality": r.mean_quality, "reward_accuracy": r.reward_accuracy,
                          "groups": r.n_groups} for r in rounds]),
        "heuristic_writer_mean_quality": teacher, "sft_final_loss": float(sft_losses[-1]),
    })


def policy_facts(stored) -> dict:
    return json.loads((stored.path / "training.json").read_text())


@dg.asset(
    deps=[persona_policy], group_name=GROUP, kinds={"pytorch", "duckdb"}, pool=DUCKDB_POOL,
    automation_condition=retrain_condition(),
)
def induced_personas(context: dg.AssetExecutionContext, config: PersonaPolicyConfig,
                     warehouse: DuckDBResource, models: ModelStoreResource) -> dg.MaterializeResult:
    """Several personas per user: πθ's best of K candidates per memory cluster, with its evidence and scores."""
    stored = models.current("persona_policy")
    policy, tokenizer = load_policy(stored.path)
    facts = policy_facts(stored)
    with warehouse.get_connection() as con:
        memories = read_memories(con)
    users = set(facts["train_users"])
    with torch_threads(config.cpu_threads):
        setup = prepare_induction([m for m in memories if m.user_id in users], facts["max_prompt_tokens"],
                                  tokenizer=tokenizer, max_tasks=config.eval_max_tasks)
        chosen = best_personas(setup, policy, sampling_of(config, config.eval_samples, config.seed))
    frame = pd.DataFrame([{
        "user_id": task.user_id, "cluster_id": task.cluster_id, "label": persona.label,
        "description": persona.description, "evidence_memory_ids": list(task.evidence_ids),
        "cohesion": score.cohesion, "alignment": score.alignment, "truthfulness": score.truthfulness,
        "specificity": score.specificity, "label_focus": score.label_focus, "final_score": score.final, "policy_version": stored.version,
    } for task, persona, score in chosen])
    with warehouse.get_connection() as con:
        ensure_ml_tables(con)
        replace_rows(con, "induced_personas", frame)
    return dg.MaterializeResult(metadata={
        "personas": len(frame), "users": int(frame["user_id"].nunique()), "backbone": facts["backbone"],
        "mean_final_score": float(frame["final_score"].mean()),
        "examples": table(frame[["user_id", "label", "description", "final_score"]].head(5).to_dict("records")),
    })
