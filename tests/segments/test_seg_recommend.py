"""New-service recommendation: last 8 sessions, top 5 per session, used services dropped, ranked by votes."""

import time

import numpy as np
import pandas as pd
import pytest

from persona_dagster.segments.recommend import (
    recommend_new_services,
    top_services_from_probabilities,
    top_services_from_rankings,
)

RANKINGS = {
    # s01 and s02 are older than the last 8 sessions: their 'oss' votes must not count.
    "s01": ["oss", "ecs", "vpc", "slb", "cdn"],
    "s02": ["oss", "ecs", "vpc", "slb", "cdn"],
    # 'nas' is always 6th, outside the top 5.
    "s03": ["ecs", "vpc", "rds", "slb", "cdn", "nas"],
    "s04": ["ecs", "vpc", "rds", "slb", "cdn", "nas"],
    "s05": ["console-home", "rds", "vpc", "kms", "waf", "nas"],
    "s06": ["console-home", "rds", "vpc", "kms", "waf", "nas"],
    "s07": ["kms", "ecs", "slb", "dns", "redis", "nas"],
    "s08": ["ecs", "dns", "kms", "iam", "redis", "nas"],
    "s09": ["ecs", "vpc", "iam", "rds", "dns", "nas"],
    "s10": ["ecs", "dns", "iam", "vpc", "rds", "nas"],
}


def sessions_of(user: str, keys: list[str]) -> pd.DataFrame:
    start = pd.Timestamp("2026-01-01 08:00")
    return pd.DataFrame({
        "session_key": keys, "user_id": user, "session_start": [start + pd.Timedelta(hours=i) for i in range(len(keys))]
    })


def test_votes_over_the_last_eight_sessions_new_services_only_by_hand():
    sessions = sessions_of("u1", sorted(RANKINGS)).sample(frac=1.0, random_state=1)  # row order must not matter
    used = {"u1": {"ecs", "console-home"}}
    out = recommend_new_services(sessions, top_services_from_rankings(RANKINGS), used)
    # Counts over s03..s10 without ecs/console-home: vpc 6, rds 6, kms 4, dns 4, slb 3, iam 3, cdn/waf/redis 2.
    # Ties by summed 1/position: vpc 2.417 > rds 2.117; kms 1.833 > dns 1.283; iam 0.917 > slb 0.833.
    assert list(out["service"]) == ["vpc", "rds", "kms", "dns", "iam"]
    assert list(out["count"]) == [6, 6, 4, 4, 3]
    assert list(out["rank"]) == [1, 2, 3, 4, 5]
    assert out.loc[0, "weight"] == pytest.approx(1 / 2 + 1 / 2 + 1 / 3 + 1 / 3 + 1 / 2 + 1 / 4)
    assert not set(out["service"]) & used["u1"]


def test_equal_votes_and_weights_fall_back_to_the_service_name():
    probabilities = np.array([[0.3, 0.3, 0.3, 0.1]])
    top = top_services_from_probabilities(["only"], probabilities, ["b", "a", "c", "d"])
    out = recommend_new_services(sessions_of("u2", ["only"]), top, {"u2": {"d"}}, k=5)
    assert list(out["service"]) == ["a", "b", "c"]  # fewer than k: the model offered only three new services
    assert list(out["count"]) == [1, 1, 1]


def test_top_services_from_probabilities_keeps_the_k_most_probable_per_session():
    probabilities = np.array([[0.1, 0.5, 0.05, 0.3, 0.05], [0.6, 0.0, 0.1, 0.1, 0.2]])
    top = top_services_from_probabilities(["x", "y"], probabilities, ["a", "b", "c", "d", "e"], k=2)
    pairs = {(key, service): w for key, service, w in zip(top.session_keys, top.services, top.weights, strict=True)}
    assert pairs == {("x", "b"): 0.5, ("x", "d"): 0.3, ("y", "a"): 0.6, ("y", "e"): 0.2}


def test_a_session_without_model_output_is_named():
    with pytest.raises(ValueError, match="no model output, e.g. \\['s99'\\]"):
        recommend_new_services(sessions_of("u1", ["s03", "s99"]), top_services_from_rankings(RANKINGS), {})
    with pytest.raises(ValueError, match="probabilities must be"):
        top_services_from_probabilities(["x"], np.ones((2, 3)), ["a", "b", "c"])


def test_thousands_of_users_rank_quickly_and_never_get_a_used_service():
    rng = np.random.default_rng(0)
    n_users, per_user, vocab = 5000, 10, [f"svc{i:02d}" for i in range(40)]
    keys = [f"s{i}" for i in range(n_users * per_user)]
    sessions = pd.DataFrame({
        "session_key": keys,
        "user_id": np.repeat([f"u{i}" for i in range(n_users)], per_user),
        "session_start": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 10**6, len(keys)), unit="s"),
    })
    used = {f"u{i}": set(rng.choice(vocab, 8, replace=False)) for i in range(n_users)}
    probabilities = rng.dirichlet(np.ones(len(vocab)), size=len(keys))
    started = time.perf_counter()
    out = recommend_new_services(sessions, top_services_from_probabilities(keys, probabilities, vocab), used)
    elapsed = time.perf_counter() - started
    assert elapsed < 5.0, f"{elapsed:.2f}s for {n_users} users"
    assert out["user_id"].nunique() == n_users and out.groupby("user_id").size().max() == 5
    assert not any(s in used[u] for u, s in zip(out["user_id"], out["service"], strict=True))
    # Within a user, counts never increase down the ranking.
    assert (out.groupby("user_id")["count"].diff().fillna(0) <= 0).all()
