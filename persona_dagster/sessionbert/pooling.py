"""Sequence vectors from token states."""

from __future__ import annotations

from typing import Literal

import torch

from persona_dagster.sequences import CONTEXT_SECTIONS
from persona_dagster.sessionbert.tokenizer import SPECIAL_TOKENS

# "cls_last": [CLS] state joined with the state of the session's last activity, the token a
# next-activity head most needs; [CLS] alone must first learn to find it.
Pooling = Literal["cls", "mean", "cls_last"]
# Every tokenizer trained here gives the special tokens their fixed ids (train_tokenizer).
CONTEXT_SECTION_IDS = torch.tensor([SPECIAL_TOKENS.index(t) for t in CONTEXT_SECTIONS])


def pooled_size(hidden_size: int, how: Pooling) -> int:
    return 2 * hidden_size if how == "cls_last" else hidden_size


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of the states of real tokens (padding excluded), in float32."""
    weights = attention_mask.unsqueeze(-1).to(torch.float32)
    return (hidden.float() * weights).sum(1) / weights.sum(1).clamp(min=1.0)


def last_activity_positions(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Index of the last activity token: just before the first context section, else before the final [SEP]."""
    length = input_ids.size(1)
    positions = torch.arange(length, device=input_ids.device).expand_as(input_ids)
    is_section = torch.isin(input_ids, CONTEXT_SECTION_IDS.to(input_ids.device))
    first_section = torch.where(is_section, positions, torch.full_like(positions, length)).min(dim=1).values
    final_sep = attention_mask.sum(dim=1) - 1
    return (torch.minimum(first_section, final_sep) - 1).clamp(min=0)


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, how: Pooling,
         input_ids: torch.Tensor | None = None) -> torch.Tensor:
    if how == "cls":
        return hidden[:, 0].float()
    if how == "mean":
        return mean_pool(hidden, attention_mask)
    if how == "cls_last":
        if input_ids is None:
            raise ValueError("cls_last pooling needs the input ids to find the last activity")
        rows = torch.arange(hidden.size(0), device=hidden.device)
        last = hidden[rows, last_activity_positions(input_ids, attention_mask)]
        return torch.cat([hidden[:, 0], last], dim=-1).float()
    raise ValueError(f"unknown pooling {how!r}")
