"""The seen/unseen day split and its ground truth: services users first adopt after the seen days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from persona_dagster.segments.frames import as_days, require_columns


@dataclass(frozen=True)
class DaySplit:
    """The first days are seen (history the recommender may use); the following days are unseen (the answer)."""

    seen: tuple[dt.date, ...]
    unseen: tuple[dt.date, ...]

    @property
    def last_seen(self) -> np.datetime64:
        return np.datetime64(self.seen[-1], "D")

    @property
    def last_unseen(self) -> np.datetime64:
        return np.datetime64(self.unseen[-1], "D")


def split_days(event_days: Iterable[object], seen_days: int, unseen_days: int | None = None) -> DaySplit:
    """Seen = the first seen_days distinct event days, unseen = the next unseen_days (default: all the rest)."""
    days = np.unique(as_days(event_days, "event days"))
    if seen_days < 1:
        raise ValueError(f"seen_days must be at least 1, got {seen_days}")
    if seen_days >= len(days):
        raise ValueError(f"seen_days={seen_days} leaves no unseen day: the data has {len(days)} distinct days")
    if unseen_days is not None and unseen_days < 1:
        raise ValueError(f"unseen_days must be at least 1 when given, got {unseen_days}")
    end = len(days) if unseen_days is None else min(len(days), seen_days + unseen_days)
    as_dates = [d.item() for d in days]
    return DaySplit(seen=tuple(as_dates[:seen_days]), unseen=tuple(as_dates[seen_days:end]))


def _services_by_user(adoption: pd.DataFrame, mask: np.ndarray) -> dict[str, frozenset[str]]:
    chosen = adoption.loc[mask, ["user_id", "service"]]
    return {u: frozenset(g["service"]) for u, g in chosen.groupby("user_id", sort=True)}


def used_services(adoption: pd.DataFrame, as_of: np.datetime64) -> dict[str, frozenset[str]]:
    """{user: services first used on or before as_of} from user_service_adoption rows."""
    require_columns(adoption, ("user_id", "service", "first_used_date"), "adoption")
    return _services_by_user(adoption, as_days(adoption["first_used_date"], "adoption.first_used_date") <= as_of)


def new_services(adoption: pd.DataFrame, split: DaySplit) -> dict[str, frozenset[str]]:
    """{user: services first used in the unseen days}; first use is global, so none was used in the seen days."""
    require_columns(adoption, ("user_id", "service", "first_used_date"), "adoption")
    first = as_days(adoption["first_used_date"], "adoption.first_used_date")
    return _services_by_user(adoption, (first > split.last_seen) & (first <= split.last_unseen))


@dataclass(frozen=True)
class EvaluationSet:
    """What the recommenders see (seen sessions, used services) and what they are scored on (targets)."""

    split: DaySplit
    seen_sessions: pd.DataFrame
    used: dict[str, frozenset[str]]
    targets: dict[str, frozenset[str]]

    @property
    def n_scored(self) -> int:
        return len(self.targets)


def evaluation_set(
    sessions: pd.DataFrame, adoption: pd.DataFrame, seen_days: int, unseen_days: int | None = None
) -> EvaluationSet:
    """Split on the sessions' event days; score users active in the seen days who adopt a service later.

    used covers every user active in the seen days (what the baselines learn from); targets
    only the scored users.
    """
    require_columns(sessions, ("session_key", "user_id", "event_date", "session_start"), "sessions")
    split = split_days(sessions["event_date"], seen_days, unseen_days)
    seen = sessions[as_days(sessions["event_date"], "sessions.event_date") <= split.last_seen].reset_index(drop=True)
    active = set(seen["user_id"])
    used = {u: s for u, s in used_services(adoption, split.last_seen).items() if u in active}
    targets = {u: s for u, s in new_services(adoption, split).items() if u in active}
    return EvaluationSet(split=split, seen_sessions=seen, used=used, targets=targets)
