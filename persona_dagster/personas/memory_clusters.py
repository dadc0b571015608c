"""Per-user memory clusters: k by silhouette with a minimum evidence size, small users get one."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from persona_dagster.personas.memories import IntentMemory
from persona_dagster.personas.memory_features import l2_normalise


@dataclass(frozen=True)
class ClusteringParams:
    """k_max bounds the sweep; every cluster needs min_cluster_size memories to be evidence."""

    k_max: int = 5
    min_cluster_size: int = 4
    # Below this, splitting is not clearly better than one persona.
    min_silhouette: float = 0.25
    seed: int = 0


@dataclass(frozen=True)
class MemoryCluster:
    """One candidate persona's evidence: a group of one user's memories."""

    user_id: str
    cluster_id: str
    memory_ids: tuple[str, ...]
    silhouette: float | None


def choose_clusters(
    vectors: np.ndarray, params: ClusteringParams = ClusteringParams()
) -> tuple[np.ndarray, float | None]:
    """(labels, silhouette) of the best k in [1, k_max]; k=1 unless some k>=2 passes both thresholds."""
    n = len(vectors)
    best_labels, best_score = np.zeros(n, dtype=int), None
    unit = l2_normalise(np.asarray(vectors, dtype=float))
    n_distinct = len(np.unique(unit.round(8), axis=0))
    for k in range(2, min(params.k_max, n_distinct, n // params.min_cluster_size) + 1):
        labels = KMeans(n_clusters=k, n_init=10, random_state=params.seed).fit_predict(unit)
        if np.bincount(labels, minlength=k).min() < params.min_cluster_size:
            continue
        score = float(silhouette_score(unit, labels, metric="cosine"))
        if score >= params.min_silhouette and (best_score is None or score > best_score):
            best_labels, best_score = labels, score
    return best_labels, best_score


def _relabel_by_size(labels: np.ndarray) -> np.ndarray:
    # KMeans label ids are arbitrary; largest cluster first, ties by first member, keeps ids stable.
    order = sorted(set(labels.tolist()), key=lambda c: (-int((labels == c).sum()), int(np.argmax(labels == c))))
    mapping = {c: i for i, c in enumerate(order)}
    return np.array([mapping[c] for c in labels.tolist()], dtype=int)


def cluster_memories(
    memories: Sequence[IntentMemory], vectors: np.ndarray, params: ClusteringParams = ClusteringParams()
) -> list[MemoryCluster]:
    """Cluster each user's memories; vectors are row-aligned with memories (any embedding)."""
    rows_by_user: dict[str, list[int]] = defaultdict(list)
    for row, memory in enumerate(memories):
        rows_by_user[memory.user_id].append(row)
    clusters = []
    for user_id in sorted(rows_by_user):
        rows = rows_by_user[user_id]
        labels, score = choose_clusters(np.asarray(vectors)[rows], params)
        labels = _relabel_by_size(labels)
        for c in range(labels.max() + 1):
            ids = tuple(memories[rows[i]].memory_id for i in np.flatnonzero(labels == c))
            clusters.append(MemoryCluster(user_id, f"{user_id}#{c}", ids, score))
    return clusters


def spread_over_users(clusters: Sequence[MemoryCluster], limit: int | None) -> list[MemoryCluster]:
    """At most `limit` clusters, taken round-robin over users (each user's largest cluster first).

    Why: the clusters come user by user, so the first `limit` of them covered one or two users, and
    an evaluation that reports per held-out user rested on n = 1 (the demo's 4 judged clusters did).
    A limit past the number of clusters keeps them all, in the same order: the first n of any limit are
    the same n clusters (a benchmark that builds more tasks for DPO than SFT sees relies on it).
    """
    if limit is None:
        return list(clusters)
    by_user: dict[str, list[MemoryCluster]] = defaultdict(list)
    for cluster in clusters:
        by_user[cluster.user_id].append(cluster)
    rounds = max(len(c) for c in by_user.values())
    ordered = [by_user[u][r] for r in range(rounds) for u in sorted(by_user) if r < len(by_user[u])]
    return ordered[:limit]
