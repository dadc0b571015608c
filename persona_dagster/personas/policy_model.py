"""The persona policy: a pretrained backbone with a LoRA adapter, or the tiny from-scratch Llama test fixture."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from peft import LoraConfig, PeftModel, get_peft_model
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedModel, PreTrainedTokenizerBase

from persona_dagster.personas.backbone import load_backbone, resolve_backbone
from persona_dagster.personas.policy_tokenizer import load_policy_tokenizer

PRESETS: dict[str, dict[str, int]] = {
    "tiny": {"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 128},
    "small": {"hidden_size": 256, "num_hidden_layers": 4, "num_attention_heads": 4, "intermediate_size": 1024},
}
# Written beside a saved adapter: which backbone it belongs on, so loading needs nothing else.
BACKBONE_FILE = "backbone.json"


@dataclass(frozen=True)
class AdapterParams:
    """LoRA on the attention and MLP projections (never lm_head: trl's fused log-probs read its weight directly)."""

    r: int = 8
    alpha: int = 16
    dropout: float = 0.0
    target_modules: tuple[str, ...] = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


def policy_device() -> torch.device:
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def build_policy(
    tokenizer: PreTrainedTokenizerBase, preset: str = "tiny", max_positions: int = 1024, seed: int = 0
) -> LlamaForCausalLM:
    """A randomly initialised policy sized by a preset (the fast test fixture), special ids from the tokenizer."""
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


def pretrained_policy(
    backbone_dir: Path, adapter: AdapterParams = AdapterParams(), seed: int = 0
) -> tuple[PeftModel, PreTrainedTokenizerBase]:
    """The backbone (frozen) with a fresh LoRA adapter; at initialisation it writes exactly like the backbone."""
    torch.manual_seed(seed)
    base, tokenizer = load_backbone(backbone_dir, policy_device())
    config = LoraConfig(r=adapter.r, lora_alpha=adapter.alpha, lora_dropout=adapter.dropout,
                        target_modules=list(adapter.target_modules), task_type="CAUSAL_LM")
    model = get_peft_model(base, config)
    _record_backbone(model, backbone_dir)
    return model, tokenizer


def _record_backbone(model: PeftModel, backbone_dir: Path) -> None:
    model.persona_backbone_dir = str(Path(backbone_dir).resolve())


def save_policy(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase, path: str | Path) -> Path:
    """The whole model, or for a LoRA policy only its adapter and which backbone it goes on."""
    path = Path(path)
    model.save_pretrained(path)
    tokenizer.save_pretrained(path)
    if isinstance(model, PeftModel):
        (path / BACKBONE_FILE).write_text(json.dumps({"backbone_dir": model.persona_backbone_dir}, indent=2))
    return path


def load_policy(path: str | Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """A saved policy and its tokenizer from a local directory (never a hub)."""
    path = Path(path)
    if (path / BACKBONE_FILE).exists():
        backbone_dir = Path(json.loads((path / BACKBONE_FILE).read_text())["backbone_dir"])
        base, _ = load_backbone(backbone_dir, policy_device())
        model = PeftModel.from_pretrained(base, path, is_trainable=True)
        _record_backbone(model, backbone_dir)
        return model.eval(), load_policy_tokenizer(path)
    model = LlamaForCausalLM.from_pretrained(path, local_files_only=True)
    return model.to(policy_device()), load_policy_tokenizer(path)


def zero_shot_policy(backbone: str, models_root: Path) -> tuple[PreTrainedModel, PreTrainedTokenizerBase]:
    """The backbone as it ships, untrained: the zero-shot writer."""
    return load_backbone(resolve_backbone(backbone, models_root), policy_device())


def describe(model: PreTrainedModel) -> dict[str, object]:
    """Backbone and adapter facts for tracking: architecture, sizes, LoRA config."""
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    facts: dict[str, object] = {"architecture": type(model.get_base_model() if isinstance(model, PeftModel)
                                                     else model).__name__,
                                "parameters": sum(p.numel() for p in model.parameters()),
                                "trainable_parameters": trainable}
    if isinstance(model, PeftModel):
        lora = model.peft_config["default"]
        facts.update(backbone_dir=model.persona_backbone_dir, lora_r=lora.r, lora_alpha=lora.lora_alpha,
                     lora_dropout=lora.lora_dropout, lora_target_modules=",".join(sorted(lora.target_modules)))
    return facts


def frozen_copy(model: PreTrainedModel) -> PreTrainedModel:
    """A separate, frozen copy for the DPO reference of a fully fine-tuned policy (the fixture).

    Rebuilt from the config rather than deep-copied: DPOTrainer patches `forward` on the instance
    with a closure over the original model, which a deepcopy would keep pointing at the policy.
    """
    copy = type(model)(model.config)
    copy.load_state_dict(model.state_dict())
    copy.requires_grad_(False)
    return copy.to(model.device).eval()
