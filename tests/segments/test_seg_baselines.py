"""Popularity and item-kNN co-occurrence on a four-user matrix worked out by hand."""

import numpy as np
import pytest

from persona_dagster.segments.baselines import item_knn_recommendations, popularity_recommendations, service_similarity

# Service columns over users u1..u4: A=[1,1,0,0], B=[1,1,1,0], C=[0,1,1,1], D=[0,0,0,1].
USED = {"u1": {"A", "B"}, "u2": {"A", "B", "C"}, "u3": {"B", "C"}, "u4": {"C", "D"}}
S6, S3 = np.sqrt(6.0), np.sqrt(3.0)


def test_service_similarity_is_column_cosine():
    history = np.array([[1, 1, 0, 0], [1, 1, 1, 0], [0, 1, 1, 0], [0, 0, 1, 1]], dtype=bool)
    expected = np.array([
        [0, 2 / S6, 1 / S6, 0],
        [2 / S6, 0, 2 / 3, 0],
        [1 / S6, 2 / 3, 0, 1 / S3],
        [0, 0, 1 / S3, 0],
    ])
    np.testing.assert_allclose(service_similarity(history), expected)


def test_item_knn_scores_sum_similarities_to_used_services():
    out = item_knn_recommendations(USED, k=5)
    by_user = {u: g for u, g in out.groupby("user_id")}
    assert list(by_user["u2"]["service"]) == ["D"]  # the only service u2 has not used
    assert by_user["u2"]["similarity"].tolist() == pytest.approx([0 + 0 + 1 / S3])
    assert list(by_user["u1"]["service"]) == ["C", "D"]
    assert by_user["u1"]["similarity"].tolist() == pytest.approx([1 / S6 + 2 / 3, 0.0])
    assert list(by_user["u3"]["service"]) == ["A", "D"]
    assert by_user["u3"]["similarity"].tolist() == pytest.approx([2 / S6 + 1 / S6, 1 / S3])
    assert list(by_user["u4"]["service"]) == ["B", "A"]
    assert by_user["u4"]["similarity"].tolist() == pytest.approx([2 / 3, 1 / S6])
    for user, group in by_user.items():
        assert not set(group["service"]) & USED[user]


def test_no_signal_falls_back_to_adopters_then_name():
    # A user with no history scores 0 everywhere: adopters B 3, C 3, A 2, D 1, and B before C by name.
    out = item_knn_recommendations(USED, k=3, users=["newcomer"])
    assert list(out["service"]) == ["B", "C", "A"]
    assert list(out["rank"]) == [1, 2, 3]


def test_popularity_ranks_by_adopters_minus_used():
    out = popularity_recommendations(USED, k=5)
    assert out[out["user_id"] == "u1"][["service", "adopters"]].values.tolist() == [["C", 3.0], ["D", 1.0]]
    assert out[out["user_id"] == "u4"]["service"].tolist() == ["B", "A"]
    with pytest.raises(ValueError, match="nothing to learn"):
        popularity_recommendations({"u": set()})
