"""Multi-task fine-tuning on next service / next page, and top-k prediction with the result."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import torch
import torch.nn.functional as F
from transformers import BertForMaskedLM, BertModel, PreTrainedTokenizerFast

from persona_dagster.errors import NotEnoughData
from persona_dagster.sessionbert.batching import pad_batch
from persona_dagster.sessionbert.config import bert_config
from persona_dagster.sessionbert.device import module_device
from persona_dagster.sessionbert.encoding import encode_sessions
from persona_dagster.sessionbert.examples import TASK_TARGETS, every_position
from persona_dagster.sessionbert.inference import map_batches
from persona_dagster.sessionbert.markov_prior import DEFAULT_ORDER, NgramPrior, PriorOrder, transition_vocabs
from persona_dagster.sessionbert.next_activity import NextActivityModel
from persona_dagster.sessionbert.pooling import Pooling
from persona_dagster.sessionbert.training import OnLog, TrainConfig, TrainResult, train_loop

MULTI_TASK: tuple[str, ...] = ("service", "page")
# The fine-tuning learning rate where none is chosen on validation (the serving model, the paper's rule).
FINETUNE_LR = 5e-4


@dataclass
class FinetuneResult:
    model: NextActivityModel
    model_dir: Path
    train: TrainResult


def finetune_next_activity(
    examples: pd.DataFrame,
    tokenizer: PreTrainedTokenizerFast,
    out_dir: str | Path,
    encoder_dir: str | Path | None = None,
    cfg: TrainConfig | None = None,
    tasks: Sequence[str] = MULTI_TASK,
    task_weights: Mapping[str, float] | None = None,
    pooling: Pooling = "cls_last",
    min_label_count: int = 1,
    preset: str = "small",
    on_log: OnLog | None = None,
    markov_prior: bool = True,
    prior_order: PriorOrder = DEFAULT_ORDER,
    positions: int | None = None,
) -> FinetuneResult:
    """Train heads (and the encoder) on examples from next_activity_examples; loss = weighted sum over tasks.

    encoder_dir: a pretrained MLM directory; None trains the preset from scratch (the no-pretraining ablation).
    markov_prior: heads learn a correction to n-gram transition log-probabilities over the last
    prior_order activities, one order or one per head (markov_prior.NgramPrior, counted on these
    examples, its orders' mixture weights fitted on them).
    positions: train on the last `positions` positions of each example's session, None = every position
    (examples.every_position); 1 = the session end only. The prior is counted once per session either way.
    Why every position by default: on session ends only (one transition per session, 37 steps of
    one epoch) the correction made its own prior worse on later, held-out sessions of a development
    dataset (the default generator at seed 8, 291 test sessions: service 0.785 vs the prior's 0.823,
    page 0.726 vs 0.750); on every position it did not (order 2: 0.828 / 0.778 vs Markov 0.824 /
    0.763). `python benchmarks/next_activity_orders.py --positions 1 all` repeats the comparison.
    """
    cfg = cfg or TrainConfig()
    out_dir = Path(out_dir)
    sessions = examples
    if positions != 1:
        examples = every_position(sessions, positions)
    vocabs = transition_vocabs(list(sessions["history"]), list(sessions["next_page"]), tasks, min_label_count)
    # A head whose only label is OTHER has nothing to predict (top-k would come back empty).
    for task, vocab in vocabs.items():
        if len(vocab) < 2:
            raise NotEnoughData(f"the {task} head needs a label seen at least {min_label_count} time(s); "
                                f"{len(examples)} training examples have none")
    targets = {t: vocabs[t].encode(list(examples[TASK_TARGETS[t]])) for t in tasks}
    weights = {t: (task_weights or {}).get(t, 1.0) for t in tasks}
    ids = encode_sessions(tokenizer, list(examples["text"]), cfg.max_len)
    pad_to = cfg.max_len if cfg.pad_to_max else None

    torch.manual_seed(cfg.seed)  # the same seed builds the same heads
    if encoder_dir is None:
        encoder = BertModel(bert_config(preset, tokenizer), add_pooling_layer=False)
    else:
        encoder = BertForMaskedLM.from_pretrained(str(encoder_dir), local_files_only=True).bert
    ngram, prior = None, None
    if markov_prior:
        # On every position the examples are exactly the transitions the mixture's weights are fitted on:
        # their per-order estimates are computed once, for both.
        every = positions is None
        ngram = NgramPrior.fit(list(sessions["history"]), list(sessions["next_page"]), vocabs, prior_order,
                               mixture=not every)
        own = list(examples["session"]) if positions != 1 else [[*h, t] for h, t in
                                                                zip(examples["history"], examples["next_page"])]
        # Each example's own session is taken out of the counts it sees: the prior as for an unseen session.
        per_order = ngram.order_log_probs(list(examples["history"]), own_sessions=own)
        if every:
            ngram.fit_weights_on(per_order, targets)
        prior = ngram.mix_log_probs(per_order)
    model = NextActivityModel(encoder, vocabs, pooling, max_len=cfg.max_len, ngram=ngram)

    def step_loss(m: torch.nn.Module, batch: list[int], generator: torch.Generator) -> tuple[torch.Tensor, int]:
        seqs = [ids[i] for i in batch]
        input_ids, attention_mask = pad_batch(seqs, tokenizer.pad_token_id, pad_to)
        device = module_device(m)
        index = torch.tensor(batch)
        rows = None if prior is None else {t: p[index] for t, p in prior.items()}
        logits = m(input_ids.to(device, non_blocking=True), attention_mask.to(device, non_blocking=True), rows)
        loss = sum(
            weights[t] * F.cross_entropy(logits[t].float(), targets[t][index].to(device, non_blocking=True))
            for t in tasks
        )
        return loss, sum(len(s) for s in seqs)

    lengths = [len(s) for s in ids]
    result = train_loop(model, lengths, step_loss, cfg, checkpoint_dir=out_dir / "checkpoints", on_log=on_log)
    model_dir = out_dir / "model"
    model.save_pretrained(model_dir)
    tokenizer.save_pretrained(model_dir)
    return FinetuneResult(model=model, model_dir=model_dir, train=result)


def predict_topk(
    model: NextActivityModel,
    tokenizer: PreTrainedTokenizerFast,
    texts: Sequence[str],
    k: int = 5,
    batch_size: int = 128,
    pad_to: int | None = None,
) -> dict[str, list[list[str]]]:
    """Per task, the k most likely labels per text, best first; OTHER is never returned (it is not an answer)."""
    ids = encode_sessions(tokenizer, texts, model.max_len)

    prior = model.prior_inputs(list(texts))

    def top(input_ids: torch.Tensor, attention_mask: torch.Tensor, rows: dict | None = None) -> dict[str, torch.Tensor]:
        out = {}
        for task, logits in model(input_ids, attention_mask, rows).items():
            logits[:, 0] = float("-inf")
            out[task] = logits.topk(min(k, logits.size(1) - 1), dim=1).indices
        return out

    if not ids:
        return {task: [] for task in model.vocabs}
    indices = map_batches(model, top, ids, tokenizer.pad_token_id, batch_size, pad_to, row_inputs=prior)
    return {task: [model.vocabs[task].decode(row) for row in indices[task].tolist()] for task in model.vocabs}


def predict_at_corrections(
    model: NextActivityModel, tokenizer: PreTrainedTokenizerFast, texts: Sequence[str], weights: Sequence[float],
    batch_size: int = 128,
) -> dict[float, dict[str, list[str]]]:
    """{weight: predict_next_activity's answer with every head's correction at that weight}, from one encoder pass.

    The weight only scales the head's logits against the prior term (NextActivityModel.combine), so the
    encoder and the prior run once for all weights.
    """
    ids = encode_sessions(tokenizer, texts, model.max_len)
    if not ids:
        return {w: {task: [] for task in model.vocabs} for w in weights}

    def parts(input_ids: torch.Tensor, attention_mask: torch.Tensor, rows: dict | None = None) -> dict[str, torch.Tensor]:
        heads, priors = model.logit_parts(input_ids, attention_mask, rows)
        return {**{f"head/{t}": v for t, v in heads.items()}, **{f"prior/{t}": v for t, v in priors.items()}}

    out = map_batches(model, parts, ids, tokenizer.pad_token_id, batch_size, row_inputs=model.prior_inputs(list(texts)))
    answers = {}
    for weight in weights:
        answers[weight] = {}
        for task in model.vocabs:
            logits = model.combine(task, out[f"head/{task}"], out.get(f"prior/{task}"), weight)
            logits[:, 0] = float("-inf")  # OTHER is never an answer
            best = logits.topk(1, dim=1).indices[:, 0]
            answers[weight][task] = model.vocabs[task].decode(best.tolist())
    return answers


def predict_next_activity(
    model: NextActivityModel, tokenizer: PreTrainedTokenizerFast, texts: Sequence[str], batch_size: int = 128
) -> dict[str, list[str]]:
    """Per task, the single most likely label per text."""
    top = predict_topk(model, tokenizer, texts, 1, batch_size)
    return {task: [row[0] for row in rows] for task, rows in top.items()}
