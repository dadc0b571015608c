"""End-to-end next-activity experiments: SessionBERT vs generic BERT, single- vs multi-task, baselines, lengths."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pandas as pd
from transformers import PreTrainedTokenizerFast

from persona_dagster.sessionbert.baselines import MarkovBaseline, PopularityBaseline
from persona_dagster.sessionbert.evaluate import HEADLINE_METRIC, evaluate_predictions
from persona_dagster.evaluation.intervals import paired_statistic_intervals
from persona_dagster.evaluation.weighted_f1 import weighted_f1_on_counts
from persona_dagster.sessionbert.examples import (TASK_TARGETS, every_position, next_activity_examples, require_examples,
                                                  split_by_time)
from persona_dagster.sessionbert.finetune import (
    FINETUNE_LR,
    MULTI_TASK,
    finetune_next_activity,
    predict_at_corrections,
    predict_next_activity,
)
from persona_dagster.sessionbert.markov_prior import DEFAULT_ORDER, NgramPrior, PriorOrder, transition_vocabs
from persona_dagster.sessionbert.next_activity import NextActivityModel
from persona_dagster.sessionbert.pooling import Pooling
from persona_dagster.sessionbert.pretrain import PretrainResult, pretrain_mlm
from persona_dagster.sessionbert.sessions import session_texts
from persona_dagster.sessionbert.tokenizer import DEFAULT_VOCAB_SIZE, TokenizerKind, train_tokenizer
from persona_dagster.sessionbert.training import TrainConfig

ABLATION_LENGTHS = (64, 128, 512)
# The count baselines beside SessionBERT: name -> Markov order (backed off to shorter contexts, then popular).
MARKOV_BASELINES = {"markov": 1, "markov2": 2}
NGRAM_PRIOR = "ngram_prior"  # the prior alone: the fitted mixture of orders the heads correct


@dataclass
class ExperimentConfig:
    """One pipeline setting; max_len here overrides the one in both TrainConfigs."""

    preset: str = "small"
    tokenizer_kind: TokenizerKind = "session"
    vocab_size: int = DEFAULT_VOCAB_SIZE
    max_len: int = 128
    pooling: Pooling = "cls_last"
    pretrain: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=3, lr=1e-3))
    finetune: TrainConfig = field(default_factory=lambda: TrainConfig(epochs=3, lr=FINETUNE_LR))
    # Fine-tuning learning rates validation chooses among (the last valid_fraction of training sessions).
    finetune_lrs: tuple[float, ...] = (1e-4, FINETUNE_LR)
    # Shares of the heads' correction to the prior validation chooses among, per head (0 = the prior alone),
    # and the chosen ones (None: as trained, 1).
    correction_weights: tuple[float, ...] = (0.0, 0.5, 1.0)
    correction: dict[str, float] | None = None
    markov_prior: bool = True  # heads correct n-gram transition log-probabilities (markov_prior.NgramPrior)
    # The prior's longest context: orders 1..prior_order are mixed with weights fitted on the training
    # transitions (NgramPrior.fit_order_weights); an int for every head, or {head: order}.
    prior_order: PriorOrder = DEFAULT_ORDER
    valid_fraction: float = 0.15
    # Fine-tuning positions per session: None = every position, 1 = the session end only (finetune_next_activity).
    finetune_positions: int | None = None
    prior_ablation: bool = True  # also fine-tune without the prior (row sessionbert_without_markov_prior)
    task_ablation: bool = True  # also fine-tune one head alone per task (rows sessionbert_{task}_only)


def _validation_score(metrics: dict[str, Any]) -> float:
    """Mean weighted F1 over the predicted tasks: what validation maximises."""
    return sum(m[HEADLINE_METRIC] for m in metrics.values()) / len(metrics)


def _task_scores(predictions: dict[str, list[str]], examples: pd.DataFrame) -> dict[str, float]:
    metrics = evaluate_predictions(predictions, examples)
    return {**{f"valid_{t}_{HEADLINE_METRIC}": m[HEADLINE_METRIC] for t, m in metrics.items()},
            "valid_score": _validation_score(metrics)}


def fit_prior(examples: pd.DataFrame, order: PriorOrder) -> NgramPrior:
    """The n-gram prior the heads correct, counted on these examples' sessions, its orders' weights fitted on them."""
    vocabs = transition_vocabs(list(examples["history"]), list(examples["next_page"]), MULTI_TASK)
    return NgramPrior.fit(list(examples["history"]), list(examples["next_page"]), vocabs, order)


def prior_validation(train_examples: pd.DataFrame, cfg: ExperimentConfig) -> dict[str, Any]:
    """Validation rows of the prior (each order alone and the fitted mixture) and of the count baselines,
    naming the strongest baseline.

    Costs no training: count models fitted on the earlier training examples, scored on the later ones
    (the split choose_finetune_knobs uses). Nothing is chosen from the order rows: the mixture's weights
    are fitted on the training transitions (a few hundred validation session ends chose the wrong
    order on two of three development logs); the rows show how the mixture stands to each order.
    """
    fit, valid = split_by_time(train_examples, quantile=1 - cfg.valid_fraction)  # validation_split's examples
    if fit.empty or valid.empty:
        return {"prior_order_search": [], "baseline_search": [], "strongest_baseline": "markov"}
    histories, targets = list(fit["history"]), list(fit["next_page"])
    vocabs = transition_vocabs(histories, targets, MULTI_TASK)
    mixture = NgramPrior.fit(histories, targets, vocabs, cfg.prior_order)
    rows = []
    for order in range(1, mixture.order + 1):
        alone = NgramPrior.fit(histories, targets, vocabs, order, mixture=False)
        rows.append({"prior_order": order, "valid_examples": len(valid),
                     **_task_scores(alone.predict(list(valid["history"])), valid)})
    rows.append({"prior_order": "mixture", "weights": _weights(mixture), "valid_examples": len(valid),
                 **_task_scores(mixture.predict(list(valid["history"])), valid)})
    baselines = [{"baseline": name, "valid_examples": len(valid),
                  **_task_scores(MarkovBaseline(order).fit(fit).predict(valid), valid)}
                 for name, order in MARKOV_BASELINES.items()]
    return {"prior_order_search": rows, "baseline_search": baselines,
            "strongest_baseline": max(baselines, key=lambda r: r["valid_score"])["baseline"]}


def _weights(prior: NgramPrior) -> dict[str, list[float]] | None:
    return None if prior.weights is None else {t: [round(float(x), 4) for x in w] for t, w in prior.weights.items()}


def validation_split(train_sessions: pd.DataFrame, train_examples: pd.DataFrame,
                     cfg: ExperimentConfig) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(sessions before the validation window, fit examples, validation examples): the later
    valid_fraction of training examples validate; the encoder for that choice learns only from
    sessions that start before the first of them (or are fit examples' own sessions)."""
    fit, valid = split_by_time(train_examples, quantile=1 - cfg.valid_fraction)
    if valid.empty:
        return train_sessions, fit, valid
    starts = pd.to_datetime(train_sessions["session_start"])
    before = starts < pd.to_datetime(valid["session_start"]).min()
    if "session_key" in train_sessions and "session_key" in fit:
        before = before | train_sessions["session_key"].isin(set(fit["session_key"]))
    return train_sessions[before.to_numpy()].reset_index(drop=True), fit, valid


def choose_finetune_knobs(train_sessions: pd.DataFrame, train_examples: pd.DataFrame, work_dir: Path,
                          cfg: ExperimentConfig) -> tuple[ExperimentConfig, list[dict[str, Any]]]:
    """(cfg with the fine-tuning lr and the per-head correction weight that score best on validation, the search rows).

    The validation window is a test window too: its tokenizer and masked-LM are trained here on the
    sessions before it (validation_split), not taken from the full training period, whose encoder
    has seen the validation sessions (with their targets) while masking. Validation scores every
    position of the validation sessions (a few hundred session ends alone made the choice noisy).
    The correction weight w (next_activity.NextActivityModel.correction) needs no retraining:
    logits = w * head + prior, w = 0 being the prior alone; it is chosen per head, because the heads
    are scored apart and one may help where the other does not.
    """
    fit_sessions, fit, valid = validation_split(train_sessions, train_examples, cfg)
    tunable = len(cfg.finetune_lrs) > 1 or (cfg.markov_prior and len(cfg.correction_weights) > 1)
    if not tunable or fit.empty or valid.empty:
        return replace(cfg, finetune=replace(cfg.finetune, lr=cfg.finetune_lrs[0])), []
    tokenizer, pre = pretrain_stage(fit_sessions, work_dir, cfg)
    scored = every_position(valid)
    weights = cfg.correction_weights if cfg.markov_prior else (1.0,)
    rows = []
    for lr in cfg.finetune_lrs:
        trial = replace(cfg, finetune=replace(cfg.finetune, lr=lr))
        model = finetune_stage(fit, scored, tokenizer, pre.model_dir, work_dir / f"lr{lr:g}", trial,
                               predict=False)["model"]
        rows += [{"lr": lr, **row, "valid_sessions": len(valid), "pretrain_sessions": len(fit_sessions)}
                 for row in correction_rows(model, tokenizer, scored, weights)]
    lr, correction = _best_knobs(rows, MULTI_TASK)
    return replace(cfg, finetune=replace(cfg.finetune, lr=lr), correction=correction), rows


def correction_rows(model: NextActivityModel, tokenizer: PreTrainedTokenizerFast, scored: pd.DataFrame,
                    weights: Sequence[float]) -> list[dict[str, Any]]:
    """Validation F1 per head of one fine-tuned model at each correction weight (no retraining); the model
    is left at weight 1."""
    by_weight = predict_at_corrections(model, tokenizer, list(scored["text"]), list(weights))
    model.correction.update({t: 1.0 for t in model.correction})
    return [{"correction": w, "valid_examples": len(scored), **_task_scores(by_weight[w], scored)} for w in weights]


def choose_correction(model: NextActivityModel, tokenizer: PreTrainedTokenizerFast, valid_examples: pd.DataFrame,
                      weights: Sequence[float] = ExperimentConfig.correction_weights
                      ) -> tuple[dict[str, float], list[dict[str, Any]]]:
    """(each head's best correction weight on every position of valid_examples, the rows): set on the model."""
    rows = [{"lr": None, **r} for r in correction_rows(model, tokenizer, every_position(valid_examples), weights)]
    _, correction = _best_knobs(rows, list(model.vocabs))
    model.correction.update({t: w for t, w in correction.items() if t in model.correction})
    return correction, rows


def _best_knobs(rows: list[dict[str, Any]], tasks: Sequence[str]) -> tuple[float, dict[str, float]]:
    """(lr whose best per-head weights score highest, those weights): ties go to the earlier lr, then to weight 1."""
    def per_task_best(lr: float) -> dict[str, dict[str, Any]]:
        at_lr = [r for r in rows if r["lr"] == lr]
        return {t: max(at_lr, key=lambda r: (r[f"valid_{t}_{HEADLINE_METRIC}"], r["correction"])) for t in tasks}

    lrs = list(dict.fromkeys(r["lr"] for r in rows))
    score = {lr: sum(r[f"valid_{t}_{HEADLINE_METRIC}"] for t, r in per_task_best(lr).items()) for lr in lrs}
    lr = max(lrs, key=lambda x: (score[x], -lrs.index(x)))
    return lr, {t: float(r["correction"]) for t, r in per_task_best(lr).items()}


def pretrain_stage(
    train_sessions: pd.DataFrame, work_dir: Path, cfg: ExperimentConfig
) -> tuple[PreTrainedTokenizerFast, PretrainResult]:
    """Tokenizer and MLM trained on the training sessions only (the test period stays unseen)."""
    texts = session_texts(train_sessions)
    tokenizer = train_tokenizer(texts, cfg.vocab_size, cfg.tokenizer_kind)
    train_cfg = replace(cfg.pretrain, max_len=cfg.max_len)
    result = pretrain_mlm(texts, tokenizer, work_dir / "mlm", train_cfg, cfg.preset)
    return tokenizer, result


def finetune_stage(
    train_examples: pd.DataFrame,
    test_examples: pd.DataFrame,
    tokenizer: PreTrainedTokenizerFast,
    mlm_dir: Path,
    work_dir: Path,
    cfg: ExperimentConfig,
    tasks: Sequence[str] = MULTI_TASK,
    predict: bool = True,
) -> dict[str, Any]:
    """Fine-tune on train_examples, predict test_examples, return {task: metrics} plus run facts (and the model)."""
    train_cfg = replace(cfg.finetune, max_len=cfg.max_len)
    result = finetune_next_activity(train_examples, tokenizer, work_dir, mlm_dir, train_cfg, tasks, pooling=cfg.pooling,
                                    markov_prior=cfg.markov_prior, prior_order=cfg.prior_order,
                                    positions=cfg.finetune_positions)
    result.model.correction.update({t: w for t, w in (cfg.correction or {}).items() if t in result.model.correction})
    facts = {"finetune_steps": result.train.steps, "finetune_seconds": result.train.wall_seconds,
             "model_dir": str(result.model_dir), "correction": dict(result.model.correction)}
    if not predict:
        return facts | {"model": result.model}
    texts = list(test_examples["text"])
    predictions = predict_next_activity(result.model, tokenizer, texts)
    out = {"metrics": evaluate_predictions(predictions, test_examples), "predictions": predictions, **facts}
    if result.model.correction:
        # The same model with its whole correction (weight 1): what the encoder does as trained.
        result.model.correction.update({t: 1.0 for t in result.model.correction})
        out["as_trained_predictions"] = predict_next_activity(result.model, tokenizer, texts)
    return out


def baseline_predictions(train_examples: pd.DataFrame, test_examples: pd.DataFrame,
                         prior: NgramPrior | None = None) -> dict[str, dict[str, list[str]]]:
    """Popularity and the Markov baselines (MARKOV_BASELINES), fitted on train_examples, predicting the same test examples.

    With prior (fit_prior on train_examples), also "ngram_prior": the n-gram the heads correct,
    alone (what the encoder adds is SessionBERT minus this row).
    """
    models = {"popularity": PopularityBaseline(), **{n: MarkovBaseline(o) for n, o in MARKOV_BASELINES.items()}}
    out = {name: model.fit(train_examples).predict(test_examples) for name, model in models.items()}
    if prior is not None:
        out[NGRAM_PRIOR] = prior.predict(list(test_examples["history"]))
    return out


def f1_intervals(test_examples: pd.DataFrame, predictions: dict[str, dict[str, list[str]]],
                 also_against: Sequence[str] = ("markov2", NGRAM_PRIOR)) -> dict[str, Any]:
    """Per task: each model's weighted F1 with a 95% paired-bootstrap interval, its difference to Markov, and
    SessionBERT's difference to each `also_against` baseline (the same resamples: the same seed draws them)."""
    from sklearn.metrics import f1_score

    def weighted_f1(truth, pred) -> float:
        return float(f1_score(truth, pred, average="weighted", zero_division=0))

    out = {}
    for task in MULTI_TASK:
        truth = list(test_examples[TASK_TARGETS[task]])
        by_model = {m: p[task] for m, p in predictions.items() if task in p}
        out[task] = paired_statistic_intervals(truth, by_model, weighted_f1, reference="markov",
                                               on_counts=weighted_f1_on_counts,
                                               pairs=[("sessionbert", other) for other in also_against])
    return out


def split_examples(train_sessions: pd.DataFrame, test_sessions: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Next-activity examples of each side of a session split; NotEnoughData when a side has none."""
    train, test = next_activity_examples(train_sessions), next_activity_examples(test_sessions)
    require_examples(train, test, len(train_sessions) + len(test_sessions))
    return train, test


def run_next_activity_experiment(
    train_sessions: pd.DataFrame, test_sessions: pd.DataFrame, work_dir: str | Path, cfg: ExperimentConfig
) -> dict[str, Any]:
    """Tokenizer -> MLM -> multi-task fine-tune -> test metrics, for one configuration."""
    work_dir = Path(work_dir)
    train_examples, test_examples = split_examples(train_sessions, test_sessions)
    tokenizer, pre = pretrain_stage(train_sessions, work_dir, cfg)
    run = finetune_stage(train_examples, test_examples, tokenizer, pre.model_dir, work_dir / "finetune", cfg)
    return run | _pretrain_facts(pre, tokenizer, cfg)


def _pretrain_facts(pre: PretrainResult, tokenizer: PreTrainedTokenizerFast, cfg: ExperimentConfig) -> dict[str, Any]:
    return {
        "tokenizer": cfg.tokenizer_kind,
        "vocab_size": len(tokenizer),
        "max_len": cfg.max_len,
        "preset": cfg.preset,
        "heldout_mlm_loss": pre.heldout_loss,
        "heldout_perplexity": pre.heldout_perplexity,
        "pretrain_steps": pre.train.steps,
        "pretrain_tokens_per_s": pre.train.tokens_per_second,
    }


def compare_models(
    train_sessions: pd.DataFrame, test_sessions: pd.DataFrame, work_dir: str | Path, cfg: ExperimentConfig
) -> dict[str, Any]:
    """Every comparison on one time split: SessionBERT multi/single-task, generic-tokenizer BERT, baselines."""
    work_dir = Path(work_dir)
    train_examples, test_examples = split_examples(train_sessions, test_sessions)
    tokenizer, pre = pretrain_stage(train_sessions, work_dir / "session", cfg)
    choices = prior_validation(train_examples, cfg)
    cfg, search = choose_finetune_knobs(train_sessions, train_examples, work_dir / "session" / "valid", cfg)
    models: dict[str, Any] = {}
    variants = {"sessionbert": MULTI_TASK,
                **({f"sessionbert_{t}_only": (t,) for t in MULTI_TASK} if cfg.task_ablation else {})}
    for name, tasks in variants.items():
        out = work_dir / "session" / name
        run = finetune_stage(train_examples, test_examples, tokenizer, pre.model_dir, out, cfg, tasks)
        models[name] = run | _pretrain_facts(pre, tokenizer, cfg)
    # Where the gain over Markov comes from: the same model without the transition prior.
    if cfg.prior_ablation:
        plain = replace(cfg, markov_prior=False)
        run = finetune_stage(train_examples, test_examples, tokenizer, pre.model_dir, work_dir / "session" / "plain",
                             plain)
        models["sessionbert_without_markov_prior"] = run | _pretrain_facts(pre, tokenizer, plain)
    multi = models["sessionbert"]
    if "as_trained_predictions" in multi:
        models["sessionbert_as_trained"] = {"predictions": multi["as_trained_predictions"], "correction": "1 per head",
                                            "metrics": evaluate_predictions(multi["as_trained_predictions"],
                                                                            test_examples)}
    # Generic BERT as trained (weight 1): the weights were validated for SessionBERT, and at 0 both rows
    # would be the prior's, saying nothing about the tokenizers.
    generic = replace(cfg, tokenizer_kind="generic", correction=None)
    models["generic_bert"] = run_next_activity_experiment(train_sessions, test_sessions, work_dir / "generic", generic)
    prior = fit_prior(train_examples, cfg.prior_order)
    baselines = baseline_predictions(train_examples, test_examples, prior)
    headline = {"sessionbert": models["sessionbert"]["predictions"],
                **{name: baselines[name] for name in [*MARKOV_BASELINES, NGRAM_PRIOR]},
                **{name: models[name]["predictions"] for name in ["sessionbert_as_trained", "sessionbert_without_markov_prior"]
                   if name in models},
                "generic_bert": models["generic_bert"]["predictions"]}
    return {
        "headline_metric": HEADLINE_METRIC,
        "validation": {"chosen_finetune_lr": cfg.finetune.lr, "chosen_correction": cfg.correction, "search": search,
                       **choices},
        "prior": {"order": cfg.prior_order, "weights": _weights(prior),
                  "note": "log P = log_softmax(sum_k w_k log P_k) over orders 1..order, weights by maximum "
                          "likelihood on every training transition, each with its own session left out"},
        "intervals": f1_intervals(test_examples, headline),
        "n_train_examples": len(train_examples),
        "n_test_examples": len(test_examples),
        "models": models,
        "baselines": {name: evaluate_predictions(p, test_examples) for name, p in baselines.items()},
    }


def length_ablation(
    train_sessions: pd.DataFrame,
    test_sessions: pd.DataFrame,
    work_dir: str | Path,
    cfg: ExperimentConfig,
    lengths: Sequence[int] = ABLATION_LENGTHS,
) -> dict[int, dict[str, Any]]:
    """The same pipeline at each max_len."""
    return {
        n: run_next_activity_experiment(train_sessions, test_sessions, Path(work_dir) / f"len{n}", replace(cfg, max_len=n))
        for n in lengths
    }


def truncated_shares(texts: Sequence[str], lengths: Sequence[int]) -> dict[int, float]:
    """{max_len: share of sequences cut at that length}: one word-level token per word, plus [CLS] and [SEP]."""
    sizes = [len(t.split()) + 2 for t in texts]
    return {n: sum(size > n for size in sizes) / max(1, len(sizes)) for n in lengths}
