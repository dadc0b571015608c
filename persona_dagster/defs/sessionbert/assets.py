"""SessionBERT as assets: each trains or evaluates, logs to MLflow and shows its figures as metadata."""

import tempfile
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from persona_dagster.defs.automation.conditions import daily_condition, retrain_condition
from persona_dagster.defs.failures import fail_on_too_little_data
from persona_dagster.defs.metadata import plot, table
from persona_dagster.defs.partitions import DUCKDB_POOL, GPU_TAGS, daily_partitions, single_run_backfill
from persona_dagster.defs.resources import MLflowResource, ModelStoreResource, ReportsResource
from persona_dagster.defs.sessionbert.config import (
    ContrastiveStageConfig, NextActivityTrainingConfig, TrainingConfig,
)
from persona_dagster.model_store import previous_model_with_tokenizer
from persona_dagster.plots import line_plot
from persona_dagster.sessionbert.contrastive import (
    activity_texts,
    embed_activities,
    train_user_contrastive,
)
from persona_dagster.sessionbert.embed import load_encoder
from persona_dagster.sessionbert.examples import next_activity_examples, require_examples, split_by_time
from persona_dagster.sessionbert.experiments import ExperimentConfig, choose_correction
from persona_dagster.sessionbert.finetune import FINETUNE_LR, finetune_next_activity, predict_next_activity
from persona_dagster.sessionbert.evaluate import evaluate_predictions
from persona_dagster.sessionbert.pretrain import pretrain_mlm
from persona_dagster.sessionbert.tokenizer import load_tokenizer, train_tokenizer
from persona_dagster.tracking import data_window, log_curve, register_model_dir
from persona_dagster.warehouse.embedding_store import (
    count_session_embeddings,
    ensure_embedding_tables,
    prune_stale_session_embeddings,
    refresh_user_embeddings,
    sessions_to_embed,
    write_session_embeddings,
)
from persona_dagster.warehouse.session_io import read_sessions
from persona_dagster.warehouse.window import days_in_window

SESSION_SEQUENCES = dg.AssetKey(["marts", "session_sequences"])
# The model whose vectors are the session and user embeddings (segments, recommender): SessionBERT
# after its user-level contrastive stage.
EMBEDDING_MODEL = "sessionbert_user"
GROUP = "sessionbert"
# Assets that train: a Kubernetes deployment schedules these on GPU nodes (see deploy/).


def training_asset(*deps):
    """How a model-training asset of this group is declared: retrained on the weekly condition, on a GPU node
    where the deployment has one (GPU_TAGS), one writer to the warehouse at a time."""
    return dg.asset(deps=list(deps), group_name=GROUP, kinds={"pytorch", "mlflow"}, pool=DUCKDB_POOL, tags=GPU_TAGS,
                    automation_condition=retrain_condition())


def latest_sessions(warehouse: DuckDBResource, latest: int):
    """The latest `latest` sessions of marts.session_sequences."""
    with warehouse.get_connection() as con:
        return read_sessions(con, latest=latest)


def _flat_metrics(metrics: dict) -> dict[str, float]:
    """{'service': {'accuracy': ..}} -> {'service_accuracy': ..} for MLflow."""
    return {f"{task}_{name}": float(v) for task, values in metrics.items() for name, v in values.items()
            if isinstance(v, (int, float))}


@dg.asset(
    deps=[SESSION_SEQUENCES], group_name=GROUP, kinds={"tokenizers"}, pool=DUCKDB_POOL,
    automation_condition=retrain_condition(),
)
def session_tokenizer(context: dg.AssetExecutionContext, config: TrainingConfig, warehouse: DuckDBResource,
                      mlflow: MLflowResource, models: ModelStoreResource) -> dg.MaterializeResult:
    """Word-level tokenizer over session sequences: each 'service;page' activity and section token stays whole."""
    sessions = latest_sessions(warehouse, config.max_sessions)
    tokenizer = train_tokenizer(list(sessions["sequence"]), config.vocab_size, "session")
    with tempfile.TemporaryDirectory() as tmp:
        tokenizer.save_pretrained(tmp)
        stored = models.publish(Path(tmp), "session_tokenizer")
    encoded = tokenizer(list(sessions["sequence"][:2000]))["input_ids"]
    unk = sum(ids.count(tokenizer.unk_token_id) for ids in encoded) / max(1, sum(len(ids) for ids in encoded))
    with mlflow.start_run("sessionbert", run_name="session_tokenizer", tags={"asset": "session_tokenizer"}):
        import mlflow as ml

        ml.log_params({"vocab_size_limit": config.vocab_size, "sessions": len(sessions), "version": stored.version})
        ml.log_metrics({"vocab_size": len(tokenizer), "unk_rate": unk})
        ml.log_artifacts(str(stored.path), "tokenizer")
    return dg.MaterializeResult(metadata={
        "version": stored.version, "path": str(stored.path), "vocab_size": len(tokenizer),
        "sessions": len(sessions), "unk_rate_sample": float(unk),
    })


def _pretrain_logged(ml, texts: list[str], tokenizer, work: Path, config: TrainingConfig, init_from: Path | None = None):
    """Masked-LM pretraining with its curve and held-out figures in the active MLflow run.

    The tokenizer is saved beside the weights: one directory is a complete, loadable model.
    """
    result = pretrain_mlm(
        texts, tokenizer, work, config.train_config(), preset=config.preset, init_from=init_from,
        on_log=lambda step, metrics: ml.log_metrics({k: float(v) for k, v in metrics.items()}, step=step),
    )
    ml.log_metrics({"heldout_mlm_loss": result.heldout_loss, "heldout_perplexity": result.heldout_perplexity,
                    "tokens_per_s": result.train.tokens_per_second})
    tokenizer.save_pretrained(result.model_dir)
    return result


@training_asset(session_tokenizer)
def sessionbert_mlm(context: dg.AssetExecutionContext, config: TrainingConfig, warehouse: DuckDBResource,
                    mlflow: MLflowResource, models: ModelStoreResource,
                    reports: ReportsResource) -> dg.MaterializeResult:
    """BERT trained from scratch with masked-LM (15% masking) on session sequences; registered in MLflow."""
    tokenizer_dir = models.current("session_tokenizer")
    tokenizer = load_tokenizer(tokenizer_dir.path)
    sessions = latest_sessions(warehouse, config.max_sessions)
    # Checkpoints live under a folder named after the tokenizer and config: an interrupted run resumes.
    warm_start = previous_model_with_tokenizer(models.path, "sessionbert", tokenizer_dir.version, config.preset)
    work = models.work_dir(f"mlm-{tokenizer_dir.version}-{config.preset}-{config.max_len}-{config.epochs}-"
                           f"{len(sessions)}-{warm_start.version if warm_start else 'scratch'}")
    with mlflow.start_run("sessionbert", run_name="sessionbert_mlm", tags={"asset": "sessionbert_mlm"}):
        import mlflow as ml

        ml.log_params({**config.model_dump(), "sessions": len(sessions), "tokenizer_version": tokenizer_dir.version,
                       "warm_start_from": warm_start.version if warm_start else "scratch"})
        result = _pretrain_logged(ml, list(sessions["sequence"]), tokenizer, work, config,
                                  init_from=warm_start.path if warm_start else None)
        stored = models.publish(result.model_dir, "sessionbert",
                                extra={"tokenizer_version": tokenizer_dir.version, "max_len": config.max_len,
                                       "preset": config.preset})
        registered = register_model_dir(
            stored.path, "sessionbert",
            "SessionBERT: a BERT trained from scratch with masked-LM on `service;page` session sequences "
            "(asset sessionbert_mlm); the encoder behind the embeddings and the next-activity model.",
            {"backbone": f"bert-{config.preset} (from scratch)", "data_window": data_window(sessions["session_start"]),
             "tokenizer_version": tokenizer_dir.version, "sessions": len(sessions)})
    png = line_plot({"train MLM loss": result.train.loss_curve}, reports.plot_path("sessionbert_mlm_loss.png"),
                     "SessionBERT masked-LM loss", "step", "loss")
    return dg.MaterializeResult(metadata={
        "version": stored.version, "registered_version": str(registered), "device": result.train.device,
        "heldout_perplexity": float(result.heldout_perplexity), "heldout_mlm_loss": float(result.heldout_loss),
        "train_steps": result.train.steps, "tokens_per_s": float(result.train.tokens_per_second),
        "resumed_from_step": result.train.resumed_from_step or 0, **plot("loss_curve", png, "MLM loss"),
        "warm_started_from": warm_start.version if warm_start else "scratch",
    })


@training_asset(SESSION_SEQUENCES)
def generic_bert_mlm(context: dg.AssetExecutionContext, config: TrainingConfig, warehouse: DuckDBResource,
                     mlflow: MLflowResource, models: ModelStoreResource) -> dg.MaterializeResult:
    """The paper's 'BERT-base' comparison: same size and training, but a generic word-level tokenizer on the raw text."""
    sessions = latest_sessions(warehouse, config.max_sessions)
    texts = list(sessions["sequence"])
    tokenizer = train_tokenizer(texts, config.vocab_size, "generic")
    with tempfile.TemporaryDirectory() as work, mlflow.start_run(
        "sessionbert", run_name="generic_bert_mlm", tags={"asset": "generic_bert_mlm"}
    ):
        import mlflow as ml

        ml.log_params({**config.model_dump(), "sessions": len(sessions), "tokenizer": "generic"})
        result = _pretrain_logged(ml, texts, tokenizer, Path(work) / "mlm", config)
        stored = models.publish(result.model_dir, "generic_bert", extra={"preset": config.preset})
    return dg.MaterializeResult(metadata={
        "version": stored.version, "vocab_size": len(tokenizer), "heldout_perplexity": float(result.heldout_perplexity),
        "train_steps": result.train.steps,
    })


@training_asset(sessionbert_mlm)
def next_activity_model(context: dg.AssetExecutionContext, config: NextActivityTrainingConfig, warehouse: DuckDBResource,
                        mlflow: MLflowResource, models: ModelStoreResource) -> dg.MaterializeResult:
    """SessionBERT fine-tuned multi-task (next service + next page), the serving model; leak-free figures: next_activity_evaluation."""
    encoder = models.current("sessionbert")
    tokenizer = load_tokenizer(encoder.path)
    sessions = latest_sessions(warehouse, config.max_sessions)
    examples = next_activity_examples(sessions)
    train, test = split_by_time(examples, quantile=0.8)
    with fail_on_too_little_data("next_activity_model"):
        require_examples(train, test, len(sessions))
    # The prior as next_activity_evaluation fits it: orders 1..prior_order mixed, weights fitted on the training transitions.
    order = ExperimentConfig().prior_order
    positions = config.finetune_positions or "every"  # in the name: checkpoints of another setting never resume
    work = models.work_dir(f"next-{encoder.version}-{config.epochs}-{len(examples)}-mix{order}-p{positions}")
    with mlflow.start_run("sessionbert", run_name="next_activity_model", tags={"asset": "next_activity_model"}):
        import mlflow as ml

        ml.log_params({**config.model_dump(), "train_examples": len(train), "test_examples": len(test),
                       "encoder_version": encoder.version, "prior_order": order})
        result = finetune_next_activity(train, tokenizer, work, encoder.path, config.train_config(lr=FINETUNE_LR),
                                        preset=config.preset, prior_order=order,
                                        positions=config.finetune_positions)
        # The held-out later sessions choose how much of the heads' correction to the prior serves (0 = the
        # prior alone), as validation does in next_activity_evaluation; saved with the model.
        correction, correction_search = choose_correction(result.model, tokenizer, test)
        result.model.save_pretrained(result.model_dir)
        metrics = evaluate_predictions(predict_next_activity(result.model, tokenizer, list(test["text"])), test)
        ml.log_metrics(_flat_metrics(metrics))
        ml.log_params({f"correction_{t}": w for t, w in correction.items()})
        log_curve(result.train.loss_curve, "finetune_loss")
        tokenizer.save_pretrained(result.model_dir)
        stored = models.publish(result.model_dir, "next_activity", extra={"encoder_version": encoder.version})
        registered = register_model_dir(
            stored.path, "next_activity",
            "Next service and next page after a session: SessionBERT fine-tuned multi-task on an n-gram transition "
            "prior (asset next_activity_model); leak-free figures are next_activity_evaluation's.",
            {"backbone": f"sessionbert {encoder.version}", "data_window": data_window(sessions["session_start"]),
             "train_examples": len(train)})
    # The latest 20% are held out of fine-tuning but the serving encoder was pretrained on every session:
    # a check that the fit works, not a test figure (next_activity_evaluation retrains leak-free).
    return dg.MaterializeResult(metadata={
        "version": stored.version, "registered_version": str(registered), "prior_order": order,
        "fit_check": table([{"head": task, **values} for task, values in metrics.items()]),
        "fit_check_service_weighted_f1": float(metrics["service"]["weighted_f1"]),
        "fit_check_page_weighted_f1": float(metrics["page"]["weighted_f1"]),
        "correction": correction, "correction_search": table(correction_search),
        "note": "the encoder saw the held-out sessions (unlabelled) in masked-LM, and they chose the correction "
                "weights: a fit check, not a test figure; see next_activity_evaluation",
    })


@training_asset(sessionbert_mlm)
def sessionbert_user_encoder(context: dg.AssetExecutionContext, config: ContrastiveStageConfig,
                             warehouse: DuckDBResource, mlflow: MLflowResource, models: ModelStoreResource,
                             reports: ReportsResource) -> dg.MaterializeResult:
    """SessionBERT's encoder after a user-level contrastive stage on activities: the embeddings segments cluster."""
    mlm = models.current("sessionbert")
    sessions = latest_sessions(warehouse, config.max_sessions)
    cfg = config.stage_config()
    with tempfile.TemporaryDirectory() as tmp, mlflow.start_run(
        "sessionbert", run_name="sessionbert_user_encoder", tags={"asset": "sessionbert_user_encoder"}
    ):
        import mlflow as ml

        ml.log_params({**config.model_dump(), "mlm_version": mlm.version, "sessions": len(sessions)})
        try:
            result = train_user_contrastive(sessions, load_tokenizer(mlm.path), mlm.path, Path(tmp) / "model", cfg)
        except ValueError as err:
            raise dg.Failure(f"sessionbert_user_encoder: {err}") from err
        log_curve(result.loss_curve, "contrastive_loss")
        stored = models.publish(result.model_dir, EMBEDDING_MODEL, extra={"mlm_version": mlm.version})
    png = line_plot({"InfoNCE loss": result.loss_curve}, reports.plot_path("sessionbert_user_loss.png"),
                     "User-level contrastive stage", "step", "loss")
    return dg.MaterializeResult(metadata={
        "version": stored.version, "mlm_version": mlm.version, "users": result.users,
        "final_loss": float(result.loss_curve[-1][1]), **plot("loss_curve", png, "contrastive loss"),
    })


@dg.asset(
    deps=[SESSION_SEQUENCES, sessionbert_user_encoder], group_name=GROUP, kinds={"pytorch", "duckdb"},
    partitions_def=daily_partitions, backfill_policy=single_run_backfill, pool=DUCKDB_POOL,
    automation_condition=daily_condition(),
)
def session_embeddings(context: dg.AssetExecutionContext, warehouse: DuckDBResource,
                       models: ModelStoreResource) -> dg.MaterializeResult:
    """SessionBERT (user stage) vector of each session's activities, only for sessions lacking one for this version."""
    model = models.current(EMBEDDING_MODEL)
    window = context.partition_time_window
    first, end = window.start.date(), window.end.date()
    encoder, tokenizer = load_encoder(model.path), load_tokenizer(model.path)
    with warehouse.get_connection() as con:
        ensure_embedding_tables(con)
        pruned = prune_stale_session_embeddings(con, first, end, model.version)
        todo = sessions_to_embed(con, first, end, model.version)
        if len(todo):
            vectors = embed_activities(encoder, tokenizer, activity_texts(todo))
            write_session_embeddings(con, todo, vectors, model.version)
        total = count_session_embeddings(con, first, end, model.version)
    return dg.MaterializeResult(metadata={
        "model_version": model.version, "embedded_now": len(todo), "already_embedded": total - len(todo),
        "pruned_stale": pruned, "dim": int(encoder.config.hidden_size),
    })


@dg.asset(
    deps=[session_embeddings], group_name=GROUP, kinds={"duckdb"},
    partitions_def=daily_partitions, backfill_policy=single_run_backfill, pool=DUCKDB_POOL,
    automation_condition=daily_condition(),
)
def user_embeddings(context: dg.AssetExecutionContext, warehouse: DuckDBResource,
                    models: ModelStoreResource) -> dg.MaterializeResult:
    """Per user active on a day: the mean of their last 8 session vectors up to that day."""
    model = models.current(EMBEDDING_MODEL)
    window = context.partition_time_window
    first, end = window.start.date(), window.end.date()
    with warehouse.get_connection() as con:
        ensure_embedding_tables(con)
        rows = refresh_user_embeddings(con, first, end, model.version)
    return dg.MaterializeResult(metadata={"model_version": model.version, "user_days": rows,
                                          "days": len(days_in_window(window.start, window.end))})
