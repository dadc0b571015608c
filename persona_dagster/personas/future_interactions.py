"""Do a user's personas predict what they do next? Rank items by similarity to the personas, score Hit@k."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from persona_dagster.personas.memory_features import l2_normalise, page_term, service_term
from persona_dagster.personas.quality import Persona, PersonaScorer


def item_terms(activity: str) -> list[str]:
    """An item ('service;page') as embedding terms: its page and its service."""
    return [page_term(activity), service_term(activity.split(";", 1)[0])]


def rank_items_by_personas(
    personas: Sequence[Persona], items: Sequence[str], scorer: PersonaScorer, popularity: Mapping[str, float]
) -> list[str]:
    """Items by their best cosine to any of the user's persona descriptions; popularity breaks ties."""
    if not personas:
        return sorted(items, key=lambda i: (-popularity.get(i, 0.0), i))
    descriptions = scorer.embedder.embed_terms([scorer.claims(p.description).terms() for p in personas])
    item_vectors = scorer.embedder.embed_terms([item_terms(i) for i in items])
    similarity = (l2_normalise(item_vectors) @ l2_normalise(descriptions).T).max(axis=1)
    order = sorted(range(len(items)), key=lambda j: (-round(float(similarity[j]), 9), -popularity.get(items[j], 0.0),
                                                     items[j]))
    return [items[j] for j in order]


def hit_rate(rankings: Mapping[str, Sequence[str]], future: Mapping[str, set[str]], k: int) -> float:
    """Share of users (with any future item) whose top-k holds at least one item they use later."""
    users = [u for u in rankings if future.get(u)]
    if not users:
        return float("nan")
    return float(np.mean([bool(set(rankings[u][:k]) & future[u]) for u in users]))


def evidence_matches(evidence_tasks: Sequence[str], persona_tasks: frozenset[str], threshold: float = 0.5) -> bool:
    """A persona's evidence recovers a true persona when at least `threshold` of its task-labelled events are that persona's tasks."""
    labelled = [t for t in evidence_tasks if t]
    return bool(labelled) and sum(t in persona_tasks for t in labelled) / len(labelled) >= threshold
