"""User x service features as of a day, and the services each user first uses in a later window."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from persona_dagster.segments.frames import as_days, require_columns

USAGE_COLUMNS = ("user_id", "event_date", "service", "n_events")
# Recent use says more about the task a user is on now than use a week ago.
RECENCY_HALF_LIFE_DAYS = 3.0


def _codes(frame: pd.DataFrame, users: pd.Index, services: pd.Index) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    u, s = users.get_indexer(frame["user_id"]), services.get_indexer(frame["service"])
    keep = (u >= 0) & (s >= 0)
    return u[keep], s[keep], keep


def usage_features(usage: pd.DataFrame, users: pd.Index, services: pd.Index, as_of: dt.date) -> np.ndarray:
    """[user, 3 x service] float32: used by as_of (0/1), log days used, recency-weighted log events.

    `usage` has one row per user, day (or session) and service, names as landed; rows after as_of
    are ignored.
    """
    require_columns(usage, USAGE_COLUMNS, "service usage")
    if "session_key" in usage:
        usage = usage.groupby(["user_id", "event_date", "service"], as_index=False, sort=False)["n_events"].sum()
    days = as_days(usage["event_date"], "usage.event_date")
    frame = usage[days <= np.datetime64(as_of, "D")]
    age = (np.datetime64(as_of, "D") - days[days <= np.datetime64(as_of, "D")]).astype(np.float64)
    u, s, keep = _codes(frame, users, services)
    shape = (len(users), len(services))
    used = np.zeros(shape, np.float32)
    used[u, s] = 1.0
    n_days = np.zeros(shape, np.float64)
    np.add.at(n_days, (u, s), 1.0)
    recency = np.zeros(shape, np.float64)
    weight = 0.5 ** (age[keep] / RECENCY_HALF_LIFE_DAYS) * np.log1p(frame["n_events"].to_numpy(np.float64)[keep])
    np.add.at(recency, (u, s), weight)
    return np.concatenate([used, np.log1p(n_days), recency], axis=1).astype(np.float32)


def used_mask(usage: pd.DataFrame, users: pd.Index, services: pd.Index, as_of: dt.date) -> np.ndarray:
    """[user, service] bool: the user had used the service on or before as_of."""
    return usage_features(usage, users, services, as_of)[:, : len(services)] > 0


def first_uses(adoption: pd.DataFrame, users: pd.Index, services: pd.Index, after: dt.date, until: dt.date) -> np.ndarray:
    """[user, service] bool: first used in (after, until] (user_service_adoption rows)."""
    require_columns(adoption, ("user_id", "service", "first_used_date"), "adoption")
    first = as_days(adoption["first_used_date"], "adoption.first_used_date")
    window = (first > np.datetime64(after, "D")) & (first <= np.datetime64(until, "D"))
    u, s, _ = _codes(adoption[window], users, services)
    out = np.zeros((len(users), len(services)), bool)
    out[u, s] = True
    return out


def session_cooccurrence(usage: pd.DataFrame, services: pd.Index, as_of: dt.date) -> np.ndarray:
    """[service, service] cosine of services used in the same session (same user and day without session_key).

    Services needed together for one piece of work show up in the same sessions; services that
    merely belong to the same kind of user do not have to.
    """
    from persona_dagster.segments.baselines import service_similarity

    days = as_days(usage["event_date"], "usage.event_date")
    frame = usage[days <= np.datetime64(as_of, "D")]
    s = services.get_indexer(frame["service"])
    keep = s >= 0
    unit = ["session_key"] if "session_key" in frame else ["user_id", "event_date"]
    user_days = pd.MultiIndex.from_frame(frame.loc[keep, unit])
    rows, _ = pd.factorize(user_days)
    matrix = np.zeros((rows.max(initial=-1) + 1, len(services)), bool)
    matrix[rows, s[keep]] = True
    return service_similarity(matrix)


def service_features(x: np.ndarray, n_services: int, day_sim: np.ndarray | None = None) -> np.ndarray:
    """[user, service, 4] scores shared across services: item-kNN over used and over recent use, popularity.

    Computed from the usage block of `x` (usage_features) over the users in it, so the co-use
    statistics of a cutoff come only from what was used by then. The model learns one weight per
    column for every service, which lets it start from what item-kNN knows with little data.
    """
    from persona_dagster.segments.baselines import service_similarity

    used, recency = x[:, :n_services] > 0, x[:, 2 * n_services: 3 * n_services]
    sim = service_similarity(used)
    adopters = np.log1p(used.sum(axis=0, dtype=np.float64))
    knn = used.astype(np.float64) @ sim
    knn_recent = recency.astype(np.float64) @ sim
    per_user = np.broadcast_to(adopters, used.shape)
    day_sim = sim if day_sim is None else day_sim
    day_knn = recency.astype(np.float64) @ day_sim
    day_knn_used = used.astype(np.float64) @ day_sim
    return np.stack([knn, knn_recent, per_user, day_knn, day_knn_used], axis=2).astype(np.float32)
