"""Persona induction over a set of memories: clusters, teacher, tokenizer, tasks; scoring of writers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pathlib import Path

import numpy as np

from persona_dagster.personas.groupwise_dpo import sampled_quality
from persona_dagster.personas.induction_tasks import InductionTask, induction_tasks, policy_corpus, teacher_personas
from persona_dagster.personas.memories import IntentMemory
from persona_dagster.personas.memory_clusters import MemoryCluster, cluster_memories, spread_over_users
from persona_dagster.personas.memory_features import TermEmbedder
from persona_dagster.personas.backbone import resolve_backbone
from persona_dagster.personas.policy_model import PRESETS, AdapterParams, build_policy, pretrained_policy
from persona_dagster.personas.policy_tokenizer import train_policy_tokenizer
from persona_dagster.personas.quality import Persona, PersonaScorer
from persona_dagster.personas.sampling import SamplingParams


@dataclass
class InductionSetup:
    """Everything a writer is trained and scored against, built once from the memories."""

    memories: list[IntentMemory]
    clusters: list[MemoryCluster]
    scorer: PersonaScorer
    teachers: list[Persona]
    tasks: list[InductionTask]
    tokenizer: object


def prepare_induction(memories: Sequence[IntentMemory], max_prompt_tokens: int = 128, tokenizer=None,
                      max_tasks: int | None = None, max_new_tokens: int | None = None) -> InductionSetup:
    """Cluster each user's memories, write the heuristic persona per cluster, build the policy's tasks.

    A word-level tokenizer is trained on the memories when none is given (the from-scratch fixture);
    max_tasks bounds sampling and training time: that many clusters, spread over as many users as it allows;
    max_new_tokens, the policy's completion budget, bounds its SFT targets (InductionTask.target).
    """
    memories = list(memories)
    embedder = TermEmbedder().fit(memories)
    clusters = spread_over_users(cluster_memories(memories, embedder.embed_memories(memories)), max_tasks)
    teachers = teacher_personas(memories, clusters)
    tokenizer = tokenizer or train_policy_tokenizer(policy_corpus(memories, clusters, teachers))
    tasks = induction_tasks(memories, clusters, teachers, tokenizer, max_prompt_tokens, max_new_tokens)
    return InductionSetup(memories, clusters, PersonaScorer(memories, embedder), teachers, tasks, tokenizer)


def start_policy(backbone: str, memories: Sequence[IntentMemory], models_root: Path, max_prompt_tokens: int,
                 max_tasks: int | None = None, adapter: AdapterParams = AdapterParams(), seed: int = 0,
                 max_new_tokens: int | None = None):
    """(setup, untrained policy): the pretrained backbone with a fresh LoRA adapter, or the from-scratch fixture."""
    if backbone in PRESETS:
        setup = prepare_induction(memories, max_prompt_tokens, max_tasks=max_tasks, max_new_tokens=max_new_tokens)
        return setup, build_policy(setup.tokenizer, backbone, seed=seed)
    policy, tokenizer = pretrained_policy(resolve_backbone(backbone, models_root), adapter, seed=seed)
    return prepare_induction(memories, max_prompt_tokens, tokenizer, max_tasks, max_new_tokens), policy


def writer_quality(setup: InductionSetup, policy=None, sampling: SamplingParams | None = None) -> dict[str, float]:
    """Mean, spread and best-of-K of the final score: the heuristic writer when policy is None."""
    if policy is None:
        finals = np.array([t.score(setup.scorer, t.teacher.text).final for t in setup.tasks])
        return {"mean": float(finals.mean()), "std": float(finals.std()), "best_of_k_mean": float(finals.mean())}
    _, scores = sampled_quality(policy, setup.tokenizer, setup.tasks, setup.scorer, sampling or SamplingParams(k=8))
    matrix = np.array(scores)
    return {"mean": float(matrix.mean()), "std": float(matrix.std()), "best_of_k_mean": float(matrix.max(1).mean())}


def best_personas(setup: InductionSetup, policy, sampling: SamplingParams) -> list[tuple[InductionTask, Persona, object]]:
    """Per task, the sampled persona of highest quality (best of K) with its score."""
    samples, scores = sampled_quality(policy, setup.tokenizer, setup.tasks, setup.scorer, sampling)
    chosen = []
    for task, candidates, finals in zip(setup.tasks, samples, scores, strict=True):
        text = candidates[int(np.argmax(finals))]
        chosen.append((task, Persona.from_text(text, task.evidence_ids), task.score(setup.scorer, text)))
    return chosen
