"""BERT masked-LM corruption: 15% of real tokens chosen; of those 80% [MASK], 10% random, 10% kept."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from transformers import PreTrainedTokenizerFast

IGNORE_INDEX = -100


@dataclass(frozen=True)
class MaskingSpec:
    """What masking needs to know about a vocabulary."""

    mask_id: int
    special_ids: torch.Tensor  # never selected: [PAD], [CLS], [SEP], [UNK], section tokens
    replacement_ids: torch.Tensor  # the 10% random tokens come from here, so no special token is injected
    probability: float = 0.15

    @classmethod
    def from_tokenizer(cls, tokenizer: PreTrainedTokenizerFast, probability: float = 0.15) -> MaskingSpec:
        special = sorted(set(tokenizer.all_special_ids))
        replacement = sorted(set(range(len(tokenizer))) - set(special))
        return cls(
            mask_id=tokenizer.mask_token_id,
            special_ids=torch.tensor(special, dtype=torch.long),
            replacement_ids=torch.tensor(replacement, dtype=torch.long),
            probability=probability,
        )


def mask_tokens(
    input_ids: torch.Tensor, spec: MaskingSpec, generator: torch.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    """(corrupted inputs, labels) with labels = IGNORE_INDEX except at selected positions; CPU tensors."""
    eligible = ~torch.isin(input_ids, spec.special_ids)
    selected = eligible & (torch.rand(input_ids.shape, generator=generator) < spec.probability)
    labels = torch.where(selected, input_ids, IGNORE_INDEX)
    action = torch.rand(input_ids.shape, generator=generator)
    random_ids = spec.replacement_ids[
        torch.randint(len(spec.replacement_ids), input_ids.shape, generator=generator)
    ]
    inputs = torch.where(selected & (action < 0.8), spec.mask_id, input_ids)
    inputs = torch.where(selected & (action >= 0.8) & (action < 0.9), random_ids, inputs)
    return inputs, labels
