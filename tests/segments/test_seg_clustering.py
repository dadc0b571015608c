"""Cosine k-means and the silhouette sweep on directional blobs whose lengths vary wildly."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from persona_dagster.segments.clustering import cosine_kmeans, l2_normalize, silhouette_sweep
from persona_dagster.segments.tfidf_features import tfidf_features, user_documents


def directional_blobs(n_per: int = 40, k: int = 4, dim: int = 16, seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """k clusters that differ only in direction; each point gets a random length in [0.2, 20]."""
    rng = np.random.default_rng(seed)
    directions = np.eye(dim)[:k] + 0.05 * rng.standard_normal((k, dim))
    truth = np.repeat(np.arange(k), n_per)
    points = directions[truth] + 0.08 * rng.standard_normal((k * n_per, dim))
    lengths = rng.uniform(0.2, 20.0, size=(k * n_per, 1))
    return (points * lengths).astype(np.float32), truth


def test_cosine_kmeans_recovers_directional_clusters_regardless_of_length():
    x, truth = directional_blobs()
    fit = cosine_kmeans(x, 4, seed=0)
    assert adjusted_rand_score(truth, fit.labels) == 1.0
    np.testing.assert_allclose(np.linalg.norm(fit.centroids, axis=1), 1.0, rtol=1e-5)
    # Rescaling rows changes nothing under cosine.
    rescaled = cosine_kmeans(x * np.linspace(0.01, 100, len(x))[:, None], 4, seed=0)
    assert adjusted_rand_score(fit.labels, rescaled.labels) == 1.0


def test_silhouette_sweep_picks_the_true_k_even_when_sampling():
    x, truth = directional_blobs()
    sweep = silhouette_sweep(x, range(2, 8), seed=0)
    assert sweep.best_k == 4
    assert set(sweep.scores) == {2, 3, 4, 5, 6, 7}
    assert sweep.scores[4] == max(sweep.scores.values()) > 0.8
    assert adjusted_rand_score(truth, sweep.labels) == 1.0
    assert sweep.centroids.shape == (4, 16)
    sampled = silhouette_sweep(x, [3, 4, 5], seed=0, sample_size=60)
    assert sampled.best_k == 4


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_silhouette_sweep_ties_go_to_the_smaller_k():
    # Three directions, each point repeated: extra clusters can only hold duplicates of a direction,
    # so k = 3, 4, 5 all leave the same three groups and tie at silhouette 1.
    x = np.repeat(np.eye(3), 4, axis=0)
    sweep = silhouette_sweep(x, [5, 4, 3], seed=0, n_init=3)
    assert sweep.scores == pytest.approx({3: 1.0, 4: 1.0, 5: 1.0})
    assert sweep.best_k == 3


def test_bad_features_are_named():
    with pytest.raises(ValueError, match="all zero"):
        l2_normalize(np.array([[1.0, 0.0], [0.0, 0.0]]))
    with pytest.raises(ValueError, match="NaN"):
        l2_normalize(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="2 <= k"):
        silhouette_sweep(np.eye(3), [1, 2])
    with pytest.raises(ValueError, match="2 <= k"):
        silhouette_sweep(np.eye(3), [2, 3])


def test_tfidf_keeps_activities_whole_and_separates_two_kinds_of_users():
    def session(user: str, i: int, acts: list[str]) -> dict:
        sequence = "[activity] " + " [SEP] ".join(acts)
        start = pd.Timestamp("2026-01-01") + pd.Timedelta(hours=i)
        return {"session_key": f"{user}-{i}", "user_id": user, "session_start": start, "sequence": sequence}

    ops = ["ecs;create-instance", "ecs;instances", "cloudmonitor;metrics"]
    money = ["billing;bills", "cost-explorer;reports", "billing;budgets"]
    rows = [session(f"ops{u}", i, ops[i % 3:] + ops[: i % 3]) for u in range(5) for i in range(3)]
    rows += [session(f"fin{u}", i, money[: 2 + i % 2]) for u in range(5) for i in range(3)]
    docs = user_documents(pd.DataFrame(rows))
    matrix, vocab = tfidf_features(docs)
    assert set(vocab) == set(ops) | set(money)  # whole 'service;page' tokens, no section markers
    labels = cosine_kmeans(matrix, 2, seed=0).labels
    groups = pd.Series(labels, index=docs.index)
    assert groups.filter(like="ops").nunique() == 1 and groups.filter(like="fin").nunique() == 1
    assert groups.filter(like="ops").iloc[0] != groups.filter(like="fin").iloc[0]
