"""The trl DPOTrainer subclass: groups of K in a batch, the listwise loss, an explicit reference copy."""

from __future__ import annotations

import math

import pytest
from datasets import Dataset
from trl import DPOConfig

from persona_dagster.personas.groupwise_trainer import DataCollatorForGroups, GroupwiseDPOTrainer
from persona_dagster.personas.policy_model import build_policy, frozen_copy
from persona_dagster.personas.policy_tokenizer import train_policy_tokenizer

GROUPS = [
    {"prompt": "Memories: used billing (invoices) Persona:",
     "completions": ["Cost user: billing (invoices).", "Cost user: ec2 (launch).", "Ops user: vpc (subnets)."],
     "scores": [0.9, 0.4, 0.1]},
    {"prompt": "Memories: used ec2 (launch) Persona:",
     "completions": ["Ops user: ec2 (launch).", "Ops user: billing (invoices)."],
     "scores": [0.8, 0.2]},
]


def _setup(tmp_path, **config):
    tokenizer = train_policy_tokenizer([g["prompt"] for g in GROUPS] + [c for g in GROUPS for c in g["completions"]])
    policy = build_policy(tokenizer, seed=0)
    args = DPOConfig(output_dir=str(tmp_path), bf16=False, activation_checkpointing=False, report_to="none",
                     save_strategy="no", disable_tqdm=True, max_length=None, logging_steps=1, dataloader_pin_memory=False,
                     per_device_train_batch_size=2, **config)
    return tokenizer, policy, args


def test_collator_keeps_one_prompt_per_group_and_candidates_best_first() -> None:
    batch = DataCollatorForGroups(pad_token_id=0)(
        [{"prompt_ids": [5, 6], "completion_ids": [[7], [8, 9]], "scores": [1.0, 0.0]},
         {"prompt_ids": [5, 4, 3], "completion_ids": [[9, 9, 9]], "scores": [0.5]}]
    )
    assert batch["prompt_ids"].tolist() == [[5, 6, 0], [5, 4, 3]]
    assert batch["prompt_lengths"].tolist() == [2, 3]
    assert batch["completion_ids"].tolist() == [[7, 0, 0], [8, 9, 0], [9, 9, 9]]
    assert batch["completion_mask"].tolist() == [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
    assert batch["group_sizes"].tolist() == [2, 1]
    with pytest.raises(ValueError, match="at least 2 tokens"):
        DataCollatorForGroups(pad_token_id=0)([{"prompt_ids": [5], "completion_ids": [[7]], "scores": [1.0]}])


def test_shared_prompt_log_probs_and_gradients_equal_full_rows(tmp_path) -> None:
    """The prompt runs once per group; the result must be what K separate prompt+candidate rows give."""
    import torch

    from persona_dagster.personas.policy_batches import completion_batch, completion_labels

    tokenizer, policy, args = _setup(tmp_path)
    trainer = GroupwiseDPOTrainer(model=policy, ref_model=frozen_copy(policy), args=args,
                                  train_dataset=Dataset.from_list(GROUPS), processing_class=tokenizer)
    batch = next(iter(trainer.get_train_dataloader()))
    shared = trainer._sequence_logps(policy, batch)
    shared.sum().backward()
    shared_grads = [p.grad.clone() for p in policy.parameters()]
    policy.zero_grad()
    rows = [(ex["prompt_ids"], c) for ex in trainer.train_dataset for c in ex["completion_ids"]]
    full = completion_batch(rows, tokenizer.pad_token_id)
    logits = policy(input_ids=full["input_ids"], attention_mask=full["attention_mask"]).logits[:, :-1]
    labels = completion_labels(full)[:, 1:]
    token_logps = torch.log_softmax(logits, -1).gather(-1, labels.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    expected = (token_logps * (labels != -100)).sum(1)
    expected.sum().backward()
    assert torch.allclose(shared, expected, atol=1e-4)
    for got, want in zip(shared_grads, [p.grad for p in policy.parameters()], strict=True):
        assert torch.allclose(got, want, atol=1e-4, rtol=1e-3)


def test_a_reference_model_is_required(tmp_path) -> None:
    tokenizer, policy, args = _setup(tmp_path)
    with pytest.raises(ValueError, match="ref_model"):
        GroupwiseDPOTrainer(model=policy, ref_model=None, args=args, train_dataset=Dataset.from_list(GROUPS),
                            processing_class=tokenizer)


def test_training_starts_at_log_k_factorial_and_learns_the_ranking(tmp_path) -> None:
    tokenizer, policy, args = _setup(tmp_path, learning_rate=3e-3, max_steps=15, beta=0.5)
    trainer = GroupwiseDPOTrainer(model=policy, ref_model=frozen_copy(policy), args=args,
                                  train_dataset=Dataset.from_list(GROUPS), processing_class=tokenizer)
    trainer.train()
    losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
    # Policy == reference at step 0: every order is equally likely, mean of log 3! and log 2!.
    assert math.isclose(losses[0], (math.log(6) + math.log(2)) / 2, rel_tol=1e-4)
    assert losses[-1] < 0.2 * losses[0]
    rewards, scores, valid = trainer.group_rewards()
    assert valid.tolist() == [[True, True, True], [True, True, False]]
    assert rewards[0, 0] > rewards[0, 1] > rewards[0, 2] and rewards[1, 0] > rewards[1, 1]


def test_the_nll_anchor_adds_the_best_candidates_per_token_nll_and_keeps_it_likely(tmp_path) -> None:
    import torch

    tokenizer, policy, args = _setup(tmp_path, learning_rate=3e-3, max_steps=15, beta=0.5)
    dataset = Dataset.from_list(GROUPS)
    plain = GroupwiseDPOTrainer(model=policy, ref_model=frozen_copy(policy), args=args, train_dataset=dataset,
                                processing_class=tokenizer)
    anchored = GroupwiseDPOTrainer(model=policy, ref_model=frozen_copy(policy), args=args, train_dataset=dataset,
                                   processing_class=tokenizer, nll_weight=2.0)
    batch = next(iter(plain.get_train_dataloader()))
    with torch.no_grad():
        rewards, valid, best_nll = plain._group_rewards(policy, batch, with_nll=True)
        difference = anchored.compute_loss(policy, batch) - plain.compute_loss(policy, batch)
    # The best candidate is slot 0 of each group; its NLL is per completion token.
    counts = batch["completion_mask"].sum(dim=1)
    first_rows = torch.tensor([0, len(GROUPS[0]["completions"])])
    by_hand = -plain._sequence_logps(policy, batch).detach()[first_rows] / counts[first_rows]
    assert torch.allclose(best_nll, by_hand)
    assert torch.isclose(difference, 2.0 * best_nll.mean())
    # Trained with the anchor, the best candidates end up more likely than under the ranking loss alone.
    trained = {}
    for weight in (0.0, 2.0):
        model = build_policy(tokenizer, seed=0)
        trainer = GroupwiseDPOTrainer(model=model, ref_model=frozen_copy(model), args=args, train_dataset=dataset,
                                      processing_class=tokenizer, nll_weight=weight)
        trainer.train()
        with torch.no_grad():
            trained[weight] = trainer._group_rewards(model, {k: v.to(model.device) for k, v in batch.items()},
                                                     with_nll=True)[2].mean()
    assert trained[2.0] < trained[0.0]
