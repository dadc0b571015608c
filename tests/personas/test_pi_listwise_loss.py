"""The Plackett–Luce groupwise loss: DPO for K=2, lower when rewards agree with the ranking."""

from __future__ import annotations

import itertools
import math

import torch

from persona_dagster.personas.listwise_dpo import (
    dpo_sigmoid_loss,
    implicit_rewards,
    plackett_luce_loss,
    reward_accuracy,
    to_groups,
)


def test_k2_equals_the_dpo_sigmoid_loss_exactly() -> None:
    gen = torch.Generator().manual_seed(0)
    policy, ref = torch.randn(64, 2, generator=gen) * 5, torch.randn(64, 2, generator=gen) * 5
    beta = 0.1
    rewards = implicit_rewards(policy, ref, beta)
    # The DPO loss as papers and trl write it, from the log-probs directly.
    dpo = -torch.nn.functional.logsigmoid(beta * ((policy[:, 0] - ref[:, 0]) - (policy[:, 1] - ref[:, 1])))
    torch.testing.assert_close(plackett_luce_loss(rewards), dpo, rtol=0, atol=1e-6)
    torch.testing.assert_close(dpo_sigmoid_loss(rewards[:, 0], rewards[:, 1]), dpo, rtol=0, atol=1e-6)


def test_matches_the_plackett_luce_definition() -> None:
    rewards = torch.tensor([[0.3, -1.2, 2.0, 0.5]])
    expected = -sum(
        rewards[0, i] - torch.logsumexp(rewards[0, i:], dim=0) for i in range(rewards.shape[1])
    )
    torch.testing.assert_close(plackett_luce_loss(rewards)[0], expected)
    # Zero rewards: every order is equally likely, the loss is log K!.
    assert math.isclose(plackett_luce_loss(torch.zeros(1, 4)).item(), math.log(24), rel_tol=1e-6)


def test_lower_when_the_rewards_agree_with_the_ranking() -> None:
    agreeing = torch.tensor([[3.0, 2.0, 1.0, 0.0]])
    losses = {perm: plackett_luce_loss(agreeing[:, list(perm)]).item() for perm in itertools.permutations(range(4))}
    assert min(losses, key=losses.get) == (0, 1, 2, 3)
    assert max(losses, key=losses.get) == (3, 2, 1, 0)


def test_padded_slots_do_not_change_a_group_loss_or_its_gradient() -> None:
    flat = torch.tensor([1.0, 0.2, -0.5, 0.7, 0.1], requires_grad=True)
    grouped, valid = to_groups(flat, torch.tensor([3, 2]))
    assert valid.tolist() == [[True, True, True], [True, True, False]]
    losses = plackett_luce_loss(grouped, valid)
    torch.testing.assert_close(losses[0], plackett_luce_loss(flat[None, :3])[0])
    torch.testing.assert_close(losses[1], plackett_luce_loss(flat[None, 3:])[0])
    losses.sum().backward()
    assert torch.isfinite(flat.grad).all()


def test_reward_accuracy_counts_the_best_candidate_ranked_first() -> None:
    rewards = torch.tensor([[0.9, 0.1, 0.0], [0.1, 0.9, 0.0], [0.1, 0.9, 0.0]])
    scores = torch.tensor([[0.8, 0.5, 0.1], [0.8, 0.5, 0.1], [0.8, 0.8, 0.1]])  # last: a tie at the top
    valid = torch.ones_like(rewards, dtype=torch.bool)
    assert reward_accuracy(rewards, scores, valid).tolist() == [1.0, 0.0, 1.0]
