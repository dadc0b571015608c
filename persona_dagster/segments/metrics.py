"""Recommendation scores: Hit@k against the unseen window, and how tailored recommendations are to personas."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import asdict, dataclass

import pandas as pd

from persona_dagster.segments.frames import require_columns
from persona_dagster.segments.persona_map import UNMAPPED_TAG, tag_personas


@dataclass(frozen=True)
class HitRate:
    """Hit@k with its counts, so a rate is never read without the number of users behind it."""

    k: int
    hits: int
    scored_users: int
    rate: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def recommended_sets(recommendations: pd.DataFrame, k: int) -> dict[Hashable, set[str]]:
    """{user: services at rank <= k}."""
    require_columns(recommendations, ("user_id", "rank", "service"), "recommendations")
    top = recommendations[recommendations["rank"] <= k]
    return {u: set(g["service"]) for u, g in top.groupby("user_id", sort=False)}


def hit_at_k(recommendations: pd.DataFrame, targets: Mapping[Hashable, Iterable[str]], k: int) -> HitRate:
    """Share of scored users whose recommendations at rank <= k include at least one of their target services.

    Scored users are exactly the keys of `targets` with a non-empty set (users active in the seen
    days who first use some service in the unseen days); a scored user without recommendations
    counts as a miss, and recommendations for users outside `targets` are ignored.
    """
    if k < 1:
        raise ValueError(f"k must be at least 1, got {k}")
    scored = {u: set(t) for u, t in targets.items() if t}
    if not scored:
        raise ValueError("no user has a target service: nothing to score")
    recommended = recommended_sets(recommendations, k)
    hits = sum(1 for u, t in scored.items() if recommended.get(u, set()) & t)
    return HitRate(k=k, hits=hits, scored_users=len(scored), rate=hits / len(scored))


def persona_tailoring_share(
    recommendations: pd.DataFrame,
    user_tags: Mapping[Hashable, str],
    persona_services: Mapping[str, Iterable[str]],
) -> pd.DataFrame:
    """Per persona tag (and 'all'): the share of recommended services that belong to the tag's personas' tasks.

    A service counts as tailored when some persona named by the user's tag (one, or several when
    merged) has a task that touches it. Rows: persona_tag, users, recommendations, tailored, share.
    Users without a tag, or tagged 'unmapped', are left out: they have no persona to be tailored to.
    """
    require_columns(recommendations, ("user_id", "service"), "recommendations")
    services = {p: frozenset(s) for p, s in persona_services.items()}
    frame = recommendations[["user_id", "service"]].assign(persona_tag=recommendations["user_id"].map(user_tags))
    frame = frame[frame["persona_tag"].notna() & (frame["persona_tag"] != UNMAPPED_TAG)]
    unknown = {p for tag in frame["persona_tag"].unique() for p in tag_personas(tag) if p not in services}
    if unknown:
        raise ValueError(f"personas {sorted(unknown)} have no service set")
    tags = frame["persona_tag"].unique()
    allowed = {tag: frozenset().union(*(services[p] for p in tag_personas(tag))) for tag in tags}
    tailored = [s in allowed[t] for s, t in zip(frame["service"], frame["persona_tag"], strict=True)]
    frame = frame.assign(tailored=tailored)
    per_tag = frame.groupby("persona_tag", sort=True).agg(
        users=("user_id", "nunique"), recommendations=("service", "size"), tailored=("tailored", "sum")
    )
    overall = pd.DataFrame(
        {"users": [frame["user_id"].nunique()], "recommendations": [len(frame)], "tailored": [frame["tailored"].sum()]},
        index=pd.Index(["all"], name="persona_tag"),
    )
    table = pd.concat([per_tag, overall]).reset_index()
    table["tailored"] = table["tailored"].astype(int)
    table["share"] = table["tailored"] / table["recommendations"].where(table["recommendations"] > 0)
    return table


def per_user_hits(recommendations: pd.DataFrame, targets: Mapping[Hashable, Iterable[str]], k: int) -> list[float]:
    """1.0 / 0.0 per scored user (sorted), the per-example scores a bootstrap interval resamples."""
    scored = {u: set(t) for u, t in targets.items() if t}
    recommended = recommended_sets(recommendations, k)
    return [float(bool(recommended.get(u, set()) & scored[u])) for u in sorted(scored, key=str)]
