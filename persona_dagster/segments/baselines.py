"""Model-free new-service recommenders: most adopted services, and item co-occurrence (item-kNN)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

from persona_dagster.segments.ranking import UsedServices, membership_matrix, top_k_rows
from persona_dagster.segments.recommend import RECOMMENDATIONS


def _catalog(used: UsedServices, users: Sequence[Hashable] | None) -> tuple[pd.Index, pd.Index, np.ndarray, np.ndarray]:
    """(users to rank for, services, their used mask, adopters per service) learnt from every user in `used`."""
    everyone = pd.Index(list(used), name="user_id")
    services = pd.Index(sorted({s for chosen in used.values() for s in chosen}), name="service")
    if services.empty:
        raise ValueError("no user has used any service: nothing to learn from")
    history = membership_matrix(everyone, services, used)
    targets = everyone if users is None else pd.Index(list(users), name="user_id")
    return targets, services, history, history.sum(axis=0)


def popularity_recommendations(
    used: UsedServices, k: int = RECOMMENDATIONS, users: Sequence[Hashable] | None = None
) -> pd.DataFrame:
    """Rows user_id, rank, service, adopters: the services most users have used, minus the user's own, ties by name.

    `used` is every user's used services at recommendation time (what popularity is counted on);
    `users` picks who gets recommendations (default: every user in `used`).
    """
    targets, services, history, adopters = _catalog(used, users)
    mine = membership_matrix(targets, services, used)
    popularity = np.broadcast_to(adopters.astype(np.float64), mine.shape)
    return top_k_rows(targets, services, [("adopters", popularity)], ~mine, k)


def service_similarity(history: np.ndarray) -> np.ndarray:
    """[service, service] cosine similarity of the columns of a user x service 0/1 matrix, zero diagonal."""
    x = history.astype(np.float64)
    co = x.T @ x
    norms = np.sqrt(np.diag(co))
    with np.errstate(divide="ignore", invalid="ignore"):
        sim = np.where(np.outer(norms, norms) > 0, co / np.outer(norms, norms), 0.0)
    np.fill_diagonal(sim, 0.0)  # a service is not evidence for itself
    return sim


def item_knn_recommendations(
    used: UsedServices, k: int = RECOMMENDATIONS, users: Sequence[Hashable] | None = None
) -> pd.DataFrame:
    """Rows user_id, rank, service, similarity, adopters: services most co-used with the user's, minus the user's own.

    score(u, s) = sum over the user's used services j of cos(s, j), the cosine between service
    columns of the user x service matrix of `used`. Ties (including services no used service
    co-occurs with) go to the more adopted service, then the name, so every user gets k services
    when k unused ones exist, exactly as popularity does.
    """
    targets, services, history, adopters = _catalog(used, users)
    mine = membership_matrix(targets, services, used)
    scores = mine.astype(np.float64) @ service_similarity(history)
    popularity = np.broadcast_to(adopters.astype(np.float64), mine.shape)
    return top_k_rows(targets, services, [("similarity", scores), ("adopters", popularity)], ~mine, k)
