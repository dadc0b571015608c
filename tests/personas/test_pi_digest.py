"""The prompt's evidence digest: every name the SFT teacher writes is in the prompt the policy reads."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from persona_dagster.personas.evidence_digest import MAX_PAGES, digest_lines
from persona_dagster.personas.induction_tasks import induction_tasks, policy_corpus, teacher_personas
from persona_dagster.personas.memories import IntentMemory, memories_from_segments
from persona_dagster.personas.memory_clusters import cluster_memories
from persona_dagster.personas.memory_features import TermEmbedder
from persona_dagster.personas.policy_tokenizer import build_prompt, train_policy_tokenizer
from persona_dagster.personas.toy_segments import TOY_TASKS, toy_segments

CATALOGUE = {name for services in TOY_TASKS.values() for s, pages in services.items() for name in (s, *pages)}
BUDGET = 64  # word-level tokens: a few memories' worth, as the demo's 192 BPE tokens are


def memory(i: int, services: tuple[str, ...], pages: tuple[str, ...], hour: int = 9, intent: str = "review_costs"):
    start = dt.datetime(2026, 1, 1 + i, hour)
    return IntentMemory(f"m{i}", "u1", f"s{i}", intent, "task", start, start + dt.timedelta(minutes=5), 3,
                        services, pages, (f"e{i}",))


def test_the_digest_counts_every_memory_most_supported_first() -> None:
    memories = [memory(0, ("billing",), ("billing;invoices",)),
                memory(1, ("billing", "budgets"), ("billing;invoices", "billing;payments", "budgets;alerts")),
                memory(2, ("budgets",), ("budgets;alerts",), hour=20, intent="budgets")]
    memories[2] = IntentMemory(**{**memories[2].__dict__, "intent_source": "service"})
    lines = digest_lines(memories)
    assert lines[0] == "3 memories on 3 of 3 days (almost every day); morning 2, evening 1."
    assert digest_lines([memory(0, ("ecs",), ())])[0] == "1 memories on 1 of 1 days; morning 1."  # no habit from a day
    assert lines[1] == "Tasks: review_costs 2."  # a service-sourced intent is not a task
    assert lines[2:] == ["billing in 2: invoices, payments.", "budgets in 2: alerts."]
    many = [memory(0, ("ecs",), tuple(f"ecs;p{k}" for k in range(MAX_PAGES + 3)))]
    assert digest_lines(many)[-1].count(",") == MAX_PAGES - 1


@pytest.fixture(scope="module")
def toy_tasks():
    memories = memories_from_segments(toy_segments(n_users=12, seed=0))
    clusters = cluster_memories(memories, TermEmbedder().fit(memories).embed_memories(memories))
    teachers = teacher_personas(memories, clusters)
    tokenizer = train_policy_tokenizer(policy_corpus(memories, clusters, teachers))
    by_id = {m.memory_id: m for m in memories}
    tasks = induction_tasks(memories, clusters, teachers, tokenizer, max_prompt_tokens=BUDGET)
    raw = [build_prompt([by_id[i].text for i in c.memory_ids], tokenizer, BUDGET) for c in clusters]
    return tasks, raw


def _names(text: str) -> set[str]:
    return set(re.findall(r"[a-z][a-z\-]*", text)) & CATALOGUE


def test_every_name_the_teacher_writes_is_in_the_prompt(toy_tasks) -> None:
    tasks, raw = toy_tasks
    missing = {t.cluster_id: _names(t.teacher.text) - _names(t.prompt) for t in tasks}
    assert not any(missing.values()), missing
    # The memories alone, at the same budget, leave some of them out: what the digest is for.
    assert any(_names(t.teacher.text) - _names(r) for t, r in zip(tasks, raw, strict=True))
