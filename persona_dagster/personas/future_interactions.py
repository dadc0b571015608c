"""Do a user's personas predict what they do next? Rank items new to the user by what the personas name; Hit@k."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from persona_dagster.personas.persona_judge import Catalogue, Named

# k as shares of the catalogue, so the figure means the same on a 170-item site and a 10k-item one.
K_SHARES = (0.02, 0.05, 0.10)


def ks_for(n_items: int, shares: Sequence[float] = K_SHARES) -> list[int]:
    """Distinct k = ceil(share * catalogue size), at least 1."""
    return sorted({max(1, math.ceil(share * n_items)) for share in shares})


def new_items(seen: Mapping[str, set[str]], later: Mapping[str, set[str]]) -> dict[str, set[str]]:
    """Per user, the items used after the cutoff that were not used before it."""
    return {u: items - seen.get(u, set()) for u, items in later.items()}


def rank_by_named(named: Sequence[Named], candidates: Iterable[str], catalogue: Catalogue,
                  popularity: Mapping[str, float]) -> list[str]:
    """Candidates by how much of them the personas name (its page, then its task, then its service); popularity breaks ties."""
    pages = set().union(*(n.pages for n in named))
    tasks = set().union(*(n.tasks for n in named))
    services = set().union(*(n.services for n in named))

    def key(item: str) -> tuple:
        service = item.split(";", 1)[0]
        return (-(item in pages), -(catalogue.activity_task.get(item, "") in tasks), -(service in services),
                -popularity.get(item, 0.0), item)

    return sorted(candidates, key=key)


def rank_by_history(history: Sequence[str], candidates: Iterable[str], catalogue: Catalogue,
                    popularity: Mapping[str, float]) -> list[str]:
    """The user's-own-history baseline: candidates sharing a task, then a service, with what they used before."""
    tasks = {catalogue.activity_task.get(a, "") for a in history} - {""}
    services = {a.split(";", 1)[0] for a in history}

    def key(item: str) -> tuple:
        return (-(catalogue.activity_task.get(item, "") in tasks), -(item.split(";", 1)[0] in services),
                -popularity.get(item, 0.0), item)

    return sorted(candidates, key=key)


def user_hits(rankings: Mapping[str, Sequence[str]], future: Mapping[str, set[str]], k: int) -> dict[str, float]:
    """Per user with any future item: 1.0 when their top-k holds one of them."""
    return {u: float(bool(set(rankings[u][:k]) & future[u])) for u in rankings if future.get(u)}


def hit_rate(rankings: Mapping[str, Sequence[str]], future: Mapping[str, set[str]], k: int) -> float:
    """Share of users (with any future item) whose top-k holds at least one item they use later."""
    hits = user_hits(rankings, future, k)
    return float(np.mean(list(hits.values()))) if hits else float("nan")


def evidence_matches(evidence_tasks: Sequence[str], persona_tasks: frozenset[str], threshold: float = 0.5) -> bool:
    """A persona's evidence recovers a true persona when at least `threshold` of its task-labelled events are that persona's tasks."""
    labelled = [t for t in evidence_tasks if t]
    return bool(labelled) and sum(t in persona_tasks for t in labelled) / len(labelled) >= threshold
