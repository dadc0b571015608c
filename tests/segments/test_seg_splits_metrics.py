"""The seen/unseen split, its ground truth of newly adopted services, and Hit@k, by hand."""

import datetime as dt

import pandas as pd
import pytest

from persona_dagster.segments.baselines import popularity_recommendations
from persona_dagster.segments.metrics import hit_at_k
from persona_dagster.segments.splits import evaluation_set, split_days

SESSIONS = pd.DataFrame({
    "session_key": ["a1", "a2", "b1", "b2", "c1", "d1", "d2"],
    "user_id": ["a", "a", "b", "b", "c", "d", "d"],
    "event_date": pd.to_datetime(["2026-01-01", "2026-01-04", "2026-01-02", "2026-01-05", "2026-01-04", "2026-01-03",
                                  "2026-01-05"]).date,
})
SESSIONS["session_start"] = pd.to_datetime(SESSIONS["event_date"]) + pd.Timedelta(hours=9)

ADOPTION = pd.DataFrame(
    [
        ("a", "ecs", "2026-01-01"), ("a", "vpc", "2026-01-04"), ("a", "rds", "2026-01-05"),
        ("b", "ecs", "2026-01-02"),  # b keeps using ecs later, but adopts nothing new: not scored
        ("c", "oss", "2026-01-04"),  # c is active only in unseen days: not scored
        ("d", "kms", "2026-01-03"), ("d", "oss", "2026-01-05"),
    ],
    columns=["user_id", "service", "first_used_date"],
)


def test_split_days_and_its_validation():
    split = split_days(SESSIONS["event_date"], 3)
    assert split.seen == (dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3))
    assert split.unseen == (dt.date(2026, 1, 4), dt.date(2026, 1, 5))
    assert split_days(SESSIONS["event_date"], 3, unseen_days=1).unseen == (dt.date(2026, 1, 4),)
    with pytest.raises(ValueError, match="leaves no unseen day: the data has 5 distinct days"):
        split_days(SESSIONS["event_date"], 5)
    with pytest.raises(ValueError, match="at least 1"):
        split_days(SESSIONS["event_date"], 0)


def test_ground_truth_is_services_first_used_after_the_seen_days_by_active_users():
    evaluation = evaluation_set(SESSIONS, ADOPTION, seen_days=3)
    assert evaluation.used == {"a": {"ecs"}, "b": {"ecs"}, "d": {"kms"}}
    assert evaluation.targets == {"a": {"vpc", "rds"}, "d": {"oss"}}
    assert evaluation.n_scored == 2
    assert set(evaluation.seen_sessions["session_key"]) == {"a1", "b1", "d1"}
    # A shorter unseen window drops what is adopted after it.
    assert evaluation_set(SESSIONS, ADOPTION, seen_days=3, unseen_days=1).targets == {"a": {"vpc"}}


def test_hit_at_k_by_hand():
    targets = {"a": {"vpc", "rds"}, "d": {"oss"}, "e": {"iam"}, "f": set()}  # f has nothing to find: not scored
    recommendations = pd.DataFrame(
        [("a", 1, "kms"), ("a", 2, "rds"), ("d", 1, "cdn"), ("d", 2, "waf"), ("d", 3, "dns"), ("d", 4, "oss"),
         ("z", 1, "iam")],  # z is not a scored user
        columns=["user_id", "rank", "service"],
    )
    # e has no recommendations and counts as a miss: 3 scored users.
    assert hit_at_k(recommendations, targets, 1).as_dict() == {"k": 1, "hits": 0, "scored_users": 3, "rate": 0.0}
    assert hit_at_k(recommendations, targets, 3).rate == pytest.approx(1 / 3)  # a (rds at 2)
    assert hit_at_k(recommendations, targets, 5).rate == pytest.approx(2 / 3)  # a, and d (oss at 4)
    with pytest.raises(ValueError, match="nothing to score"):
        hit_at_k(recommendations, {"f": set()}, 5)


def test_a_baseline_scores_on_the_evaluation_set():
    evaluation = evaluation_set(SESSIONS, ADOPTION, seen_days=3)
    recs = popularity_recommendations(evaluation.used, k=5, users=list(evaluation.targets))
    # Seen-window adopters: ecs 2, kms 1. a gets kms, d gets ecs: neither adopted those later.
    assert recs[["user_id", "service"]].values.tolist() == [["a", "kms"], ["d", "ecs"]]
    assert hit_at_k(recs, evaluation.targets, 5).as_dict() == {"k": 5, "hits": 0, "scored_users": 2, "rate": 0.0}
