"""BERT size presets and building a masked-LM model from one (never from a hub id)."""

from __future__ import annotations

from pathlib import Path

from transformers import BertConfig, BertForMaskedLM, PreTrainedTokenizerFast

# max_position_embeddings is 512 everywhere so the length ablation (64/128/512) can use any preset.
PRESETS: dict[str, dict[str, int]] = {
    "tiny": dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64),
    # Trains on ~5k sessions in a few minutes on 2 CPU cores.
    "small": dict(hidden_size=128, num_hidden_layers=3, num_attention_heads=4, intermediate_size=256),
    # BERT-medium-sized, for a GPU.
    "base-gpu": dict(hidden_size=512, num_hidden_layers=8, num_attention_heads=8, intermediate_size=2048),
}
MAX_POSITIONS = 512


def bert_config(preset: str, tokenizer: PreTrainedTokenizerFast) -> BertConfig:
    """The preset's BertConfig sized to the tokenizer's vocabulary."""
    if preset not in PRESETS:
        raise ValueError(f"unknown preset {preset!r}; choose from {sorted(PRESETS)}")
    return BertConfig(
        vocab_size=len(tokenizer),
        pad_token_id=tokenizer.pad_token_id,
        max_position_embeddings=MAX_POSITIONS,
        **PRESETS[preset],
    )


def build_mlm_model(
    preset: str, tokenizer: PreTrainedTokenizerFast, init_from: str | Path | None = None
) -> BertForMaskedLM:
    """A fresh BertForMaskedLM from the preset, or warm-started from a local checkpoint directory."""
    if init_from is None:
        return BertForMaskedLM(bert_config(preset, tokenizer))
    model = BertForMaskedLM.from_pretrained(str(init_from), local_files_only=True)
    if model.config.vocab_size != len(tokenizer):
        raise ValueError(
            f"checkpoint {init_from} has vocab {model.config.vocab_size}, tokenizer has {len(tokenizer)}"
        )
    return model
