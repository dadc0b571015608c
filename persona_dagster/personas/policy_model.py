"""The persona policy: a small Llama-style causal LM built from a config (or loaded from a local checkpoint)."""

from __future__ import annotations

from pathlib import Path

import torch
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedModel, PreTrainedTokenizerFast

from persona_dagster.personas.policy_tokenizer import load_policy_tokenizer

PRESETS: dict[str, dict[str, int]] = {
    "tiny": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128},
    "small": {"hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 1024},
}


def policy_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def build_policy(
    tokenizer: PreTrainedTokenizerFast, preset: str = "tiny", max_positions: int = 1024, seed: int = 0
) -> LlamaForCausalLM:
    """A randomly initialised policy sized by a preset, its vocabulary and special ids from the tokenizer."""
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        max_position_embeddings=max_positions,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=True,
        **PRESETS[preset],
    )
    return LlamaForCausalLM(config).to(policy_device())


def save_policy(model: PreTrainedModel, tokenizer: PreTrainedTokenizerFast, path: str | Path) -> Path:
    path = Path(path)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    return path


def load_policy(path: str | Path) -> tuple[LlamaForCausalLM, PreTrainedTokenizerFast]:
    """A saved policy and its tokenizer from a local directory (never a hub)."""
    model = LlamaForCausalLM.from_pretrained(Path(path), local_files_only=True)
    return model.to(policy_device()), load_policy_tokenizer(path)


def frozen_copy(model: PreTrainedModel) -> PreTrainedModel:
    """A separate, frozen copy for the DPO reference.

    Rebuilt from the config rather than deep-copied: DPOTrainer patches `forward` on the instance
    with a closure over the original model, which a deepcopy would keep pointing at the policy.
    """
    copy = type(model)(model.config)
    copy.load_state_dict(model.state_dict())
    copy.requires_grad_(False)
    return copy.to(model.device).eval()
