"""Sampling K persona candidates per prompt from the policy (seeded, batched with left padding), or greedy decoding."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import torch
from transformers import DynamicCache, PreTrainedModel, PreTrainedTokenizerBase
from trl.trainer.utils import pad

from persona_dagster.personas.policy_tokenizer import decode_completion, encode_prompt


@dataclass(frozen=True)
class SamplingParams:
    """K candidates per prompt, drawn with temperature / top-k from a seeded generator; temperature 0 = greedy (k=1)."""

    k: int = 4
    temperature: float = 1.0  # 0: greedy decoding, the policy's single most likely completion
    top_k: int = 0  # 0: sample from the full distribution
    max_new_tokens: int = 64
    prompts_per_batch: int = 32
    seed: int = 0

    def __post_init__(self) -> None:
        if self.k < 1 or self.temperature < 0:
            raise ValueError(f"bad sampling params {self}")
        if self.temperature == 0 and self.k != 1:
            raise ValueError(f"greedy decoding (temperature 0) gives one completion per prompt, not k={self.k}")

    @property
    def greedy(self) -> bool:
        return self.temperature == 0


def _prompt_cache(model: PreTrainedModel, input_ids: torch.Tensor, attention_mask: torch.Tensor, k: int) -> DynamicCache:
    """Key/value cache of the left-padded prompts without their last token, each repeated k times in a row."""
    positions = (attention_mask.cumsum(-1) - 1).clamp(min=0)  # as generate derives them from the mask
    cache = DynamicCache(config=model.config)
    model(input_ids=input_ids[:, :-1], attention_mask=attention_mask[:, :-1], position_ids=positions[:, :-1],
          past_key_values=cache, use_cache=True, logits_to_keep=1)
    cache.batch_repeat_interleave(k)
    return cache


@torch.no_grad()
def sample_completions(
    model: PreTrainedModel,
    tokenizer: PreTrainedTokenizerBase,
    prompts: Sequence[str],
    params: SamplingParams = SamplingParams(),
) -> list[list[str]]:
    """K decoded completions per prompt.

    Prompts are left-padded; generate derives position ids from the attention mask, so a padded
    prompt sees the same positions it was trained on. Each batch is seeded (seed + batch index).
    """
    was_training = model.training
    model.eval()
    samples: list[list[str]] = []
    for batch_index, start in enumerate(range(0, len(prompts), params.prompts_per_batch)):
        encoded = [torch.tensor(encode_prompt(tokenizer, p)) for p in prompts[start:start + params.prompts_per_batch]]
        input_ids = pad(encoded, padding_value=tokenizer.pad_token_id, padding_side="left").to(model.device)
        attention_mask = pad([torch.ones_like(e) for e in encoded], padding_value=0, padding_side="left")
        attention_mask = attention_mask.to(model.device)
        # The prompts run once, all but their last token, and that cache is repeated for the K samples:
        # generate then feeds only the last prompt token, so prefill costs one pass per prompt, not K.
        cache = _prompt_cache(model, input_ids, attention_mask, params.k)
        input_ids, attention_mask = input_ids.repeat_interleave(params.k, 0), attention_mask.repeat_interleave(params.k, 0)
        torch.manual_seed(params.seed + batch_index)
        decoding = ({"do_sample": False, "temperature": None, "top_k": None, "top_p": None} if params.greedy else
                    {"do_sample": True, "temperature": params.temperature, "top_k": params.top_k})
        output = model.generate(
            input_ids=input_ids,
            attention_mask=attention_mask,
            past_key_values=cache,
            **decoding,
            max_new_tokens=params.max_new_tokens,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
        texts = [decode_completion(tokenizer, row) for row in output[:, input_ids.shape[1]:].tolist()]
        # Each prompt's k samples are consecutive rows.
        samples.extend(texts[i:i + params.k] for i in range(0, len(texts), params.k))
    model.train(was_training)
    return samples
