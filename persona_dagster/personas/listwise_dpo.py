"""Groupwise DPO loss: Plackett–Luce over K ranked candidates on the implicit DPO rewards."""

from __future__ import annotations

import torch

# Stands in for -inf at padded group slots: exp() underflows to 0 without inf - inf NaNs in backward.
_MASKED = -1e9


def implicit_rewards(policy_logps: torch.Tensor, ref_logps: torch.Tensor, beta: float) -> torch.Tensor:
    """beta * (log πθ(y|x) - log πref(y|x))."""
    return beta * (policy_logps - ref_logps)


def to_groups(flat: torch.Tensor, group_sizes: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Split a flat per-candidate tensor into a [groups, K_max] tensor and its validity mask (valid slots first)."""
    sizes = group_sizes.tolist()
    width = max(sizes)
    valid = torch.arange(width, device=flat.device).unsqueeze(0) < group_sizes.to(flat.device).unsqueeze(1)
    grouped = flat.new_zeros(len(sizes), width)
    grouped[valid] = flat
    return grouped, valid


def plackett_luce_loss(rewards: torch.Tensor, valid: torch.Tensor | None = None) -> torch.Tensor:
    """Per-group -sum_i log(exp(r_σ(i)) / sum_{j>=i} exp(r_σ(j))), rewards ordered best first.

    For K=2 this is -log sigmoid(r_chosen - r_rejected), the DPO loss.
    """
    if valid is None:
        valid = torch.ones_like(rewards, dtype=torch.bool)
    masked = rewards.masked_fill(~valid, _MASKED)
    # log sum_{j>=i} exp(r_j): a reversed cumulative logsumexp.
    log_tail = torch.logcumsumexp(masked.flip(-1), dim=-1).flip(-1)
    return ((log_tail - masked) * valid).sum(dim=-1)


def dpo_sigmoid_loss(chosen_rewards: torch.Tensor, rejected_rewards: torch.Tensor) -> torch.Tensor:
    """The pairwise DPO loss (trl's loss_type='sigmoid' without label smoothing)."""
    return -torch.nn.functional.logsigmoid(chosen_rewards - rejected_rewards)


def reward_accuracy(rewards: torch.Tensor, scores: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Per group, 1.0 when the highest implicit reward falls on a best-scored candidate."""
    top = rewards.masked_fill(~valid, float("-inf")).argmax(dim=-1)
    best = scores.masked_fill(~valid, float("-inf")).max(dim=-1).values
    return (scores.gather(1, top.unsqueeze(1)).squeeze(1) >= best).float()
