"""Right-padded prompt+completion batches with a completion mask (shared by SFT and groupwise DPO)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from trl.trainer.utils import pad


def completion_batch(
    pairs: Sequence[tuple[Sequence[int], Sequence[int]]], pad_token_id: int
) -> dict[str, torch.Tensor]:
    """input_ids, attention_mask and completion_mask (1 on completion tokens) for (prompt_ids, completion_ids) pairs."""
    ids = [torch.tensor([*p, *c], dtype=torch.long) for p, c in pairs]
    ones = [torch.ones(len(t), dtype=torch.long) for t in ids]
    completion = [torch.tensor([0] * len(p) + [1] * len(c), dtype=torch.long) for p, c in pairs]
    return {
        "input_ids": pad(ids, padding_value=pad_token_id),
        "attention_mask": pad(ones, padding_value=0),
        "completion_mask": pad(completion, padding_value=0),
    }


def completion_labels(batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """Labels that score only completion tokens (-100 elsewhere)."""
    return batch["input_ids"].masked_fill(batch["completion_mask"] == 0, -100)
