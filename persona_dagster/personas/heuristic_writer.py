"""The summarization baseline (and SFT teacher): a persona written from a cluster's evidence facts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from persona_dagster.personas.evidence import EvidenceFacts
from persona_dagster.personas.memories import IntentMemory
from persona_dagster.personas.notation import join_list, service_phrase, split_page_token
from persona_dagster.personas.quality import Persona

MAX_SERVICES = 3
MAX_INTENTS = 2
MAX_PAGES = 2
# Items seen in fewer memories than this share are noise clicks, not habits.
MIN_SUPPORT_SHARE = 0.3


def _frequent(counts: Counter[str], n_memories: int, limit: int) -> list[str]:
    """The most supported items above the noise share; at least the top one."""
    ranked = [item for item, _ in counts.most_common()]
    kept = [item for item in ranked if counts[item] >= MIN_SUPPORT_SHARE * n_memories]
    return (kept or ranked[:1])[:limit]


def _top_pages(facts: EvidenceFacts, service: str) -> list[str]:
    split = {split_page_token(p): n for p, n in facts.pages.items()}
    pages = Counter({page: n for (owner, page), n in split.items() if owner == service})
    return [page for page, _ in pages.most_common(MAX_PAGES)]


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def write_persona(evidence: Sequence[IntentMemory]) -> Persona:
    """'<Intent> user focused on <s1> and <s2>: Works on <intents> with <s (pages)>, <frequency>, mostly in the <tod>s.'

    Only facts of the evidence are stated, each in the form the claim parser reads back.
    """
    facts = EvidenceFacts.of(evidence)
    services = _frequent(facts.services, facts.n_memories, MAX_SERVICES)
    intents = _frequent(facts.task_intents, facts.n_memories, MAX_INTENTS) if facts.task_intents else []
    label = f"{_capitalised(intents[0] if intents else services[0])} user focused on {join_list(services[:2])}"
    used = join_list([service_phrase(s, _top_pages(facts, s)) for s in services])
    description = f"Works on {join_list(intents)} with {used}" if intents else f"Uses {used}"
    if facts.frequency:
        description += f", {facts.frequency}"
    if facts.dominant_time_of_day:
        description += f", mostly in the {facts.dominant_time_of_day}s"
    return Persona(label, description + ".", tuple(m.memory_id for m in evidence))
