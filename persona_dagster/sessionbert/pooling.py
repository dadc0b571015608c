"""Sequence vectors from token states."""

from __future__ import annotations

from typing import Literal

import torch

Pooling = Literal["cls", "mean"]


def mean_pool(hidden: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
    """Mean of the states of real tokens (padding excluded), in float32."""
    weights = attention_mask.unsqueeze(-1).to(torch.float32)
    return (hidden.float() * weights).sum(1) / weights.sum(1).clamp(min=1.0)


def pool(hidden: torch.Tensor, attention_mask: torch.Tensor, how: Pooling) -> torch.Tensor:
    if how == "cls":
        return hidden[:, 0].float()
    if how == "mean":
        return mean_pool(hidden, attention_mask)
    raise ValueError(f"unknown pooling {how!r}")
