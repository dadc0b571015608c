"""New-service recommendation: vote over the model's top services of a user's last sessions, new services only."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from persona_dagster.segments.ranking import UsedServices, membership_matrix, top_k_rows
from persona_dagster.segments.recent_sessions import LAST_SESSIONS, last_sessions

TOP_PER_SESSION = 5
RECOMMENDATIONS = 5


@dataclass(frozen=True)
class SessionTopServices:
    """Model output in long form: session_keys[i] votes for services[i] with weights[i] (probability or 1/rank)."""

    session_keys: np.ndarray
    services: np.ndarray
    weights: np.ndarray


def top_services_from_probabilities(
    session_keys: Sequence[str], probabilities: np.ndarray, services: Sequence[str], k: int = TOP_PER_SESSION
) -> SessionTopServices:
    """The k most probable services of each row of a [session, service] probability matrix, weighted by probability."""
    probs = np.asarray(probabilities, dtype=np.float64)
    if probs.ndim != 2 or probs.shape != (len(session_keys), len(services)):
        raise ValueError(
            f"probabilities must be [{len(session_keys)} sessions, {len(services)} services], got {probs.shape}"
        )
    if len(set(services)) != len(services):
        raise ValueError("the service vocabulary repeats a service")
    k = min(k, probs.shape[1])
    if k < probs.shape[1]:
        top = np.argpartition(-probs, k - 1, axis=1)[:, :k]
    else:
        top = np.tile(np.arange(k), (len(probs), 1))
    vocab = np.asarray(services, dtype=object)
    return SessionTopServices(
        session_keys=np.repeat(np.asarray(session_keys, dtype=object), k),
        services=vocab[top].ravel(),
        weights=np.take_along_axis(probs, top, axis=1).ravel(),
    )


def top_services_from_rankings(rankings: Mapping[str, Sequence[str]], k: int = TOP_PER_SESSION) -> SessionTopServices:
    """The first k services of each session's ranked list, weighted 1 / position (1, 1/2, 1/3, ...)."""
    keys, services, weights = [], [], []
    for key, ranked in rankings.items():
        for position, service in enumerate(dict.fromkeys(ranked[:k]), start=1):  # a repeat would vote twice
            keys.append(key)
            services.append(service)
            weights.append(1.0 / position)
    return SessionTopServices(np.asarray(keys, dtype=object), np.asarray(services, dtype=object), np.asarray(weights))


def recommend_new_services(
    sessions: pd.DataFrame,
    top_services: SessionTopServices,
    used: UsedServices,
    last_n: int = LAST_SESSIONS,
    k: int = RECOMMENDATIONS,
) -> pd.DataFrame:
    """Rows user_id, rank, service, count, weight: each user's k new services, best first.

    For each user: their last_n sessions by session_start; the model's top services of each
    session; services in used[user] (what the user had used by recommendation time) dropped;
    the rest ranked by count = number of those sessions that recommended the service, ties by
    higher summed weight (probability, or 1/position for ranked lists), then service name.
    A user can get fewer than k rows when the model suggested fewer new services.
    """
    recent = last_sessions(sessions, last_n)[["session_key", "user_id"]]
    votes = pd.DataFrame({
        "session_key": top_services.session_keys, "service": top_services.services, "weight": top_services.weights
    })
    joined = recent.merge(votes, on="session_key", how="left")
    missing = joined.loc[joined["service"].isna(), "session_key"].unique()
    if len(missing):
        raise ValueError(f"{len(missing)} recent sessions have no model output, e.g. {list(missing[:5])}")
    users = pd.Index(pd.unique(recent["user_id"]), name="user_id")
    services = pd.Index(sorted(pd.unique(joined["service"])), name="service")
    flat = users.get_indexer(joined["user_id"]) * len(services) + services.get_indexer(joined["service"])
    size = len(users) * len(services)
    counts = np.bincount(flat, minlength=size).reshape(len(users), len(services)).astype(np.int64)
    weights = np.bincount(flat, weights=joined["weight"].to_numpy(np.float64), minlength=size)
    weights = weights.reshape(len(users), len(services))
    eligible = (counts > 0) & ~membership_matrix(users, services, used)
    return top_k_rows(users, services, [("count", counts), ("weight", weights)], eligible, k)
