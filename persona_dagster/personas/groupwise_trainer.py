"""trl's DPOTrainer with batches of K-candidate groups and the Plackett–Luce loss."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from datasets import Dataset
from torch.utils.data import DataLoader
from accelerate.utils import is_peft_model
from trl import DPOConfig, DPOTrainer
from trl.trainer.utils import pad, use_adapter

from persona_dagster.personas.listwise_dpo import (
    implicit_rewards,
    plackett_luce_loss,
    reward_accuracy,
    to_groups,
)
from persona_dagster.personas.policy_tokenizer import encode_completion, encode_prompt

GROUP_COLUMNS = ["prompt_ids", "completion_ids", "scores"]


@dataclass
class DataCollatorForGroups:
    """One right-padded prompt row per group and its candidates as rows, group by group, best first."""

    pad_token_id: int

    def __call__(self, examples: Sequence[dict[str, Any]]) -> dict[str, torch.Tensor]:
        prompts = [torch.tensor(ex["prompt_ids"], dtype=torch.long) for ex in examples]
        completions = [torch.tensor(c, dtype=torch.long) for ex in examples for c in ex["completion_ids"]]
        if min(len(p) for p in prompts) < 2:
            raise ValueError("a group's prompt needs at least 2 tokens (its last one starts the candidates)")
        return {
            "prompt_ids": pad(prompts, padding_value=self.pad_token_id),
            "prompt_lengths": torch.tensor([len(p) for p in prompts]),
            "completion_ids": pad(completions, padding_value=self.pad_token_id),
            "completion_mask": pad([torch.ones(len(c), dtype=torch.long) for c in completions], padding_value=0),
            "group_sizes": torch.tensor([len(ex["completion_ids"]) for ex in examples]),
            "scores": torch.cat([torch.tensor(ex["scores"], dtype=torch.float) for ex in examples]),
        }


def _backbone(model):
    """The transformer under the LM head (LoRA layers sit inside it, so the active adapter applies)."""
    base = model.get_base_model() if is_peft_model(model) else model
    return getattr(base, base.base_model_prefix)


class GroupwiseDPOTrainer(DPOTrainer):
    """Rows of the dataset are groups: 'prompt', 'completions' (best first) and their quality 'scores'.

    A fully fine-tuned policy needs an explicit reference: with ref_model=None, DPOTrainer reloads the
    policy by its config name, which for a model built from a config means reaching for a hub. A
    LoRA policy (PeftModel) takes none: DPOTrainer adds a frozen 'ref' copy of its adapter on the same
    frozen backbone, so the reference is the policy at the start of the round without a second model.
    """

    def __init__(self, model, ref_model, args: DPOConfig, train_dataset: Dataset, processing_class,
                 nll_weight: float = 0.0, **kwargs):
        # nll_weight: adds that times the best candidate's per-token negative log-likelihood (RPO's
        # anchor, Pang et al. 2024): the ranking loss alone can lower the best candidate's likelihood
        # too, as long as the worse ones fall faster, and the policy drifts off fluent text.
        self.nll_weight = float(nll_weight)
        if ref_model is None and not is_peft_model(model):
            raise ValueError("GroupwiseDPOTrainer needs an explicit frozen ref_model (see policy_model.frozen_copy)")
        kwargs.setdefault("data_collator", DataCollatorForGroups(processing_class.pad_token_id))
        super().__init__(model=model, ref_model=ref_model, args=args, train_dataset=train_dataset,
                         processing_class=processing_class, **kwargs)

    def _send_telemetry(self) -> None:
        # The pipeline runs offline; nothing should try to phone home from a training asset.
        return None

    def _prepare_dataset(self, dataset, processing_class, args, dataset_name):
        """Tokenize groups with the same encoding the policy is sampled and fine-tuned with."""
        if "prompt_ids" in dataset.column_names:
            return dataset

        def tokenize(example: dict[str, Any]) -> dict[str, Any]:
            return {
                "prompt_ids": encode_prompt(processing_class, example["prompt"]),
                "completion_ids": [encode_completion(processing_class, c) for c in example["completions"]],
            }

        return dataset.map(tokenize, desc=f"Tokenizing {dataset_name} groups")

    def _set_signature_columns_if_needed(self) -> None:
        if self._signature_columns is None:
            self._signature_columns = GROUP_COLUMNS

    def _sequence_logps(self, model, inputs: dict[str, torch.Tensor]) -> torch.Tensor:
        """Summed completion log-probs per candidate row.

        Each group's prompt runs once and its key/value cache serves all K candidates: the same
        log-probs and gradients as K prompt+candidate rows (tests/personas/test_pi_groupwise_trainer.py),
        for P + K*C tokens instead of K*(P + C), i.e. about half the work at 192-token prompts and K=3.
        """
        backbone = _backbone(self.accelerator.unwrap_model(model))
        sums, start = [], 0
        for group, size in enumerate(inputs["group_sizes"].tolist()):
            length = int(inputs["prompt_lengths"][group])
            prompt = inputs["prompt_ids"][group:group + 1, :length]
            completions = inputs["completion_ids"][start:start + size]
            mask = inputs["completion_mask"][start:start + size]
            start += size
            cache = backbone(input_ids=prompt[:, :-1], use_cache=True).past_key_values
            cache.batch_repeat_interleave(size)
            # The prompt's last token is re-fed so that its logits score the first candidate token.
            ids = torch.cat([prompt[:, -1:].expand(size, 1), completions], dim=1)
            labels = torch.cat([completions.new_full((size, 1), -100), completions.masked_fill(mask == 0, -100)], dim=1)
            positions = torch.arange(length - 1, length + completions.shape[1], device=ids.device).expand(size, -1)
            outputs = model(input_ids=ids, attention_mask=torch.cat([mask.new_ones(size, length), mask], dim=1),
                            position_ids=positions, past_key_values=cache, labels=labels, fused_lm_head=True)
            sums.append(outputs.log_probs.sum(dim=1))
        return torch.cat(sums)

    def _group_rewards(self, model, inputs: dict[str, torch.Tensor],
                       with_nll: bool = False) -> tuple[torch.Tensor, ...]:
        """(implicit rewards, valid), each [groups, K_max]; with_nll, also each group's best candidate's
        per-token negative log-likelihood under the policy [groups]."""
        policy_logps = self._sequence_logps(model, inputs)
        with torch.no_grad():
            if self.ref_model is not None:
                ref_logps = self._sequence_logps(self.ref_model, inputs)
            else:
                unwrapped = self.accelerator.unwrap_model(self.model)
                with use_adapter(unwrapped, adapter_name="ref" if "ref" in unwrapped.peft_config else None):
                    ref_logps = self._sequence_logps(self.model, inputs)
        rewards, valid = to_groups(implicit_rewards(policy_logps, ref_logps, self.beta), inputs["group_sizes"])
        if not with_nll:
            return rewards, valid
        per_token = policy_logps / inputs["completion_mask"].sum(dim=1).clamp(min=1)
        return rewards, valid, -to_groups(per_token, inputs["group_sizes"])[0][:, 0]

    def compute_loss(self, model, inputs, return_outputs=False, num_items_in_batch=None):
        mode = "train" if self.model.training else "eval"
        rewards, valid, best_nll = self._group_rewards(model, inputs, with_nll=True)
        loss = plackett_luce_loss(rewards, valid).mean()
        if self.nll_weight:
            loss = loss + self.nll_weight * best_nll.mean()
        scores, _ = to_groups(inputs["scores"], inputs["group_sizes"])
        detached = rewards.detach()
        best = detached[:, 0]
        others = detached.masked_fill(~valid, 0.0)[:, 1:].sum(1) / valid[:, 1:].sum(1).clamp(min=1)
        metrics = {
            "rewards/accuracies": reward_accuracy(detached, scores, valid).mean(),
            "rewards/best": best.mean(),
            "rewards/margins": (best - others).mean(),
            "nll/best": best_nll.detach().mean(),
        }
        for name, value in metrics.items():
            self._metrics[mode][name].append(self.accelerator.gather_for_metrics(value).mean().item())
        return (loss, {"rewards": detached}) if return_outputs else loss

    @torch.no_grad()
    def group_rewards(self, dataset: Dataset | None = None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """(rewards [groups, K_max], scores, valid) under the current policy, in dataset order."""
        dataset = self._prepare_dataset(dataset or self.train_dataset, self.processing_class, self.args, "eval")
        loader = DataLoader(dataset.select_columns(GROUP_COLUMNS), batch_size=self.args.per_device_eval_batch_size,
                            collate_fn=self.data_collator)
        was_training = self.model.training
        self.model.eval()
        rewards, scores, sizes = [], [], []
        for batch in loader:
            batch = {k: v.to(self.accelerator.device) for k, v in batch.items()}
            grouped, valid = self._group_rewards(self.model, batch)
            rewards.append(grouped[valid])
            scores.append(batch["scores"])
            sizes.append(batch["group_sizes"])
        self.model.train(was_training)
        group_sizes = torch.cat(sizes)
        grouped_rewards, valid = to_groups(torch.cat(rewards), group_sizes)
        return grouped_rewards, to_groups(torch.cat(scores), group_sizes)[0], valid
