"""Masked-LM pretraining of SessionBERT from scratch on session sequences."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from transformers import BertForMaskedLM, PreTrainedTokenizerFast

from persona_dagster.sessionbert.batching import pad_batch, sorted_batches
from persona_dagster.sessionbert.config import build_mlm_model
from persona_dagster.sessionbert.device import module_device
from persona_dagster.sessionbert.encoding import encode_sessions
from persona_dagster.sessionbert.masking import IGNORE_INDEX, MaskingSpec, mask_tokens
from persona_dagster.sessionbert.training import (
    OnLog, StepLoss, TrainConfig, TrainResult, distributed, forward, global_sum, local_rows, train_loop,
)


@dataclass
class PretrainResult:
    """The trained model's directory (model + tokenizer) and how training went."""

    model_dir: Path
    train: TrainResult
    heldout_loss: float
    heldout_perplexity: float
    n_train: int
    n_heldout: int


def holdout_split(n: int, fraction: float, seed: int) -> tuple[list[int], list[int]]:
    """(train, held-out) indices, a seeded random split."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed)).tolist()
    n_out = int(round(n * fraction))
    return sorted(order[n_out:]), sorted(order[:n_out])


def masked_lm_loss_sum(
    model: BertForMaskedLM, inputs: torch.Tensor, attention_mask: torch.Tensor, labels: torch.Tensor
) -> tuple[torch.Tensor, int]:
    """(summed cross-entropy, number of masked tokens).

    The vocabulary projection runs on the masked positions only: with a 30k vocabulary it
    costs more than the whole encoder, and the other 85% of its outputs would be discarded.
    """
    device = module_device(model)
    flat_labels = labels.reshape(-1)
    picked = flat_labels.ne(IGNORE_INDEX).nonzero().squeeze(1)  # computed on CPU: no device sync
    hidden = model.bert(
        input_ids=inputs.to(device, non_blocking=True), attention_mask=attention_mask.to(device, non_blocking=True)
    ).last_hidden_state
    if len(picked) == 0:
        return hidden.sum() * 0.0, 0
    states = hidden.reshape(-1, hidden.size(-1)).index_select(0, picked.to(device, non_blocking=True))
    logits = model.cls(states)
    target = flat_labels[picked].to(device, non_blocking=True)
    return F.cross_entropy(logits.float(), target, reduction="sum"), len(picked)


def heldout_mlm_loss(
    model: BertForMaskedLM,
    id_lists: Sequence[Sequence[int]],
    spec: MaskingSpec,
    pad_id: int,
    batch_size: int = 64,
    seed: int = 1,
) -> float:
    """Mean masked-token loss; the same seed masks the same positions, so evaluations compare across steps."""
    generator = torch.Generator().manual_seed(seed)
    total, count = 0.0, 0
    for batch in sorted_batches([len(s) for s in id_lists], batch_size):
        input_ids, attention_mask = pad_batch([id_lists[i] for i in batch], pad_id)
        inputs, labels = mask_tokens(input_ids, spec, generator)
        loss_sum, n = masked_lm_loss_sum(model, inputs, attention_mask, labels)
        total, count = total + loss_sum.item(), count + n
    return total / count if count else float("nan")


def mlm_step_loss(train_ids: Sequence[Sequence[int]], spec: MaskingSpec, pad_id: int, pad_to: int | None) -> StepLoss:
    """Mean masked-token loss of a batch. Masks are drawn for the whole global batch (every rank draws
    the same), each rank computes its rows, and the loss is scaled so that DDP's gradient average
    equals the gradient of the global batch's mean loss."""

    def step_loss(m: torch.nn.Module, batch: list[int], generator: torch.Generator) -> tuple[torch.Tensor, int]:
        seqs = [train_ids[i] for i in batch]
        input_ids, attention_mask = pad_batch(seqs, pad_id, pad_to)
        inputs, labels = mask_tokens(input_ids, spec, generator)
        rows = local_rows(len(batch))
        loss_sum, n = forward(m, masked_lm_loss_sum, inputs[rows], attention_mask[rows], labels[rows])
        world = distributed()[1]
        n_global = global_sum(n, loss_sum.device)
        return loss_sum * world / max(n_global, 1), sum(len(s) for s in seqs[rows])

    return step_loss


def pretrain_mlm(
    texts: Sequence[str],
    tokenizer: PreTrainedTokenizerFast,
    out_dir: str | Path,
    cfg: TrainConfig | None = None,
    preset: str = "small",
    init_from: str | Path | None = None,
    holdout_fraction: float = 0.05,
    mlm_probability: float = 0.15,
    on_log: OnLog | None = None,
) -> PretrainResult:
    """Pretrain (or resume pretraining) under out_dir: checkpoints/ while running, model/ at the end."""
    cfg = cfg or TrainConfig()
    out_dir = Path(out_dir)
    ids = encode_sessions(tokenizer, texts, cfg.max_len)
    train_idx, heldout_idx = holdout_split(len(ids), holdout_fraction, cfg.seed)
    train_ids, heldout_ids = [ids[i] for i in train_idx], [ids[i] for i in heldout_idx]
    spec = MaskingSpec.from_tokenizer(tokenizer, mlm_probability)
    pad_id = tokenizer.pad_token_id
    pad_to = cfg.max_len if cfg.pad_to_max else None

    torch.manual_seed(cfg.seed)  # the same seed builds the same initial weights
    model = build_mlm_model(preset, tokenizer, init_from)
    step_loss = mlm_step_loss(train_ids, spec, pad_id, pad_to)

    def evaluate(m: torch.nn.Module) -> dict[str, float]:
        loss = heldout_mlm_loss(m, heldout_ids, spec, pad_id, seed=cfg.seed + 1)
        return {"mlm_loss": loss, "perplexity": math.exp(loss)}

    result = train_loop(
        model,
        [len(s) for s in train_ids],
        step_loss,
        cfg,
        checkpoint_dir=out_dir / "checkpoints",
        evaluate=evaluate if heldout_ids else None,
        on_log=on_log,
    )
    model_dir = out_dir / "model"
    if distributed()[0] == 0:  # one writer; every rank holds the same weights
        model.save_pretrained(model_dir)
        tokenizer.save_pretrained(model_dir)
    final = result.evals[-1][1] if result.evals else {}
    return PretrainResult(
        model_dir=model_dir,
        train=result,
        heldout_loss=final.get("eval_mlm_loss", float("nan")),
        heldout_perplexity=final.get("eval_perplexity", float("nan")),
        n_train=len(train_ids),
        n_heldout=len(heldout_ids),
    )
