"""One persona-writing task per memory cluster: prompt, teacher persona, evidence and the user's other evidence."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from transformers import PreTrainedTokenizerBase

from persona_dagster.personas.evidence_digest import digest_lines
from persona_dagster.personas.heuristic_writer import write_persona, write_persona_within
from persona_dagster.personas.memories import IntentMemory
from persona_dagster.personas.memory_clusters import MemoryCluster
from persona_dagster.personas.policy_tokenizer import build_prompt, encode_completion
from persona_dagster.personas.quality import Persona, PersonaScorer, QualityScore


@dataclass(frozen=True)
class InductionTask:
    """What the policy is asked to write for one cluster, and what its answer is scored against."""

    user_id: str
    cluster_id: str
    evidence_ids: tuple[str, ...]
    other_evidence: tuple[tuple[str, ...], ...]
    prompt: str
    teacher: Persona
    # The policy's supervised target: the teacher, rewritten shorter where it would not end inside the policy's
    # completion budget. Sampled at 40 new tokens, π0 ran out of tokens on the third of the teacher's texts that
    # are longer (21-60 tokens, 2026-12-04) and DPO learnt to cut services to finish; π0 now learns to finish.
    target: Persona

    def score(self, scorer: PersonaScorer, completion: str) -> QualityScore:
        """Quality of a written 'label: description' as this cluster's persona."""
        return scorer.score(Persona.from_text(completion, self.evidence_ids), self.other_evidence)

    def hallucination_rate(self, scorer: PersonaScorer, completion: str) -> float:
        """Share of the entities the written persona names that this cluster's evidence does not support."""
        return scorer.hallucination_rate(Persona.from_text(completion, self.evidence_ids))


def teacher_personas(memories: Sequence[IntentMemory], clusters: Sequence[MemoryCluster]) -> list[Persona]:
    """The heuristic writer's persona for each cluster (the baseline and the SFT target)."""
    by_id = {m.memory_id: m for m in memories}
    return [write_persona([by_id[i] for i in c.memory_ids]) for c in clusters]


def policy_corpus(memories: Sequence[IntentMemory], clusters: Sequence[MemoryCluster],
                  teachers: Sequence[Persona]) -> list[str]:
    """Texts the policy tokenizer is trained on: memories, the clusters' digests, the teacher's personas."""
    by_id = {m.memory_id: m for m in memories}
    digests = [line for c in clusters for line in digest_lines([by_id[i] for i in c.memory_ids])]
    return [m.text for m in memories] + digests + [p.text for p in teachers]


def cluster_prompt(evidence: Sequence[IntentMemory], tokenizer: PreTrainedTokenizerBase, max_prompt_tokens: int) -> str:
    """The cluster's digest, then its memories, whole, while the prompt fits (evidence_digest.py says why)."""
    return build_prompt([*digest_lines(evidence), *(m.text for m in evidence)], tokenizer, max_prompt_tokens)


def sft_examples(tasks: Sequence[InductionTask]) -> list[tuple[str, str]]:
    """(prompt, target persona) pairs: the supervised data of the initial policy π0."""
    return [(t.prompt, t.target.text) for t in tasks]


def induction_tasks(
    memories: Sequence[IntentMemory],
    clusters: Sequence[MemoryCluster],
    teachers: Sequence[Persona],
    tokenizer: PreTrainedTokenizerBase,
    max_prompt_tokens: int = 512,
    max_new_tokens: int | None = None,
) -> list[InductionTask]:
    """One task per cluster; with max_new_tokens, each target is the teacher written to end (EOS included) inside it."""
    by_id = {m.memory_id: m for m in memories}

    def fits(text: str) -> bool:
        return max_new_tokens is None or len(encode_completion(tokenizer, text)) <= max_new_tokens
    by_user: dict[str, list[tuple[str, ...]]] = defaultdict(list)
    for cluster in clusters:
        by_user[cluster.user_id].append(cluster.memory_ids)
    return [
        InductionTask(
            user_id=c.user_id,
            cluster_id=c.cluster_id,
            evidence_ids=c.memory_ids,
            other_evidence=tuple(ids for ids in by_user[c.user_id] if ids != c.memory_ids),
            prompt=cluster_prompt([by_id[i] for i in c.memory_ids], tokenizer, max_prompt_tokens),
            teacher=teacher,
            target=teacher if fits(teacher.text) else write_persona_within([by_id[i] for i in c.memory_ids], fits),
        )
        for c, teacher in zip(clusters, teachers, strict=True)
    ]
