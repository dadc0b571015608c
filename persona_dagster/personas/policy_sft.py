"""π0: supervised fine-tuning of the policy on teacher personas (a plain torch loop, completion-only loss)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import PreTrainedModel, PreTrainedTokenizerBase

from persona_dagster.personas.policy_batches import completion_batch, completion_labels
from persona_dagster.personas.policy_tokenizer import encode_completion, encode_prompt


@dataclass(frozen=True)
class SFTParams:
    """Defaults sized for the from-scratch fixture (trl's 1e-6 suits full fine-tuning of large pretrained models);
    a LoRA adapter on a pretrained backbone takes fewer epochs at about 1e-3."""

    epochs: int = 30
    learning_rate: float = 3e-3
    batch_size: int = 8
    weight_decay: float = 0.0
    seed: int = 0


def supervised_finetune(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    examples: Sequence[tuple[str, str]],
    params: SFTParams = SFTParams(),
) -> list[float]:
    """Train on (prompt, completion) pairs; returns the mean completion NLL of each epoch."""
    encoded = [(encode_prompt(tokenizer, p), encode_completion(tokenizer, c)) for p, c in examples]
    # Only the adapter trains on a LoRA policy; the frozen backbone has no gradients to step.
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimizer = torch.optim.AdamW(trainable, lr=params.learning_rate, weight_decay=params.weight_decay)
    generator = torch.Generator().manual_seed(params.seed)
    model.train()
    epoch_losses = []
    for _ in range(params.epochs):
        order = torch.randperm(len(encoded), generator=generator).tolist()
        losses = []
        for start in range(0, len(order), params.batch_size):
            batch = completion_batch([encoded[i] for i in order[start:start + params.batch_size]],
                                     tokenizer.pad_token_id)
            batch = {k: v.to(model.device) for k, v in batch.items()}
            loss = model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"],
                         labels=completion_labels(batch)).loss
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
        epoch_losses.append(sum(losses) / len(losses))
    model.eval()
    return epoch_losses
