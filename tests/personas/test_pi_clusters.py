"""Memory embeddings and per-user clusters."""

from __future__ import annotations

import numpy as np

from persona_dagster.personas.memories import memories_from_segments
from persona_dagster.personas.memory_clusters import ClusteringParams, choose_clusters, cluster_memories, spread_over_users
from persona_dagster.personas.memory_features import TermEmbedder
from persona_dagster.personas.toy_segments import toy_segments


def _toy():
    memories = memories_from_segments(toy_segments(n_users=12, seed=0))
    return memories, TermEmbedder().fit(memories).embed_memories(memories)


def test_embeddings_are_unit_rows() -> None:
    _, vectors = _toy()
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0)


def test_two_habit_users_split_and_one_habit_users_do_not() -> None:
    memories, vectors = _toy()
    segments = toy_segments(n_users=12, seed=0)
    habits = segments[segments.intent_source == "task"].groupby("user_id").intent.nunique()
    clusters = cluster_memories(memories, vectors)
    per_user = {u: sum(c.user_id == u for c in clusters) for u in habits.index}
    assert per_user == habits.to_dict()
    by_id = {m.memory_id: m for m in memories}
    for cluster in clusters:
        tasks = {by_id[i].intent for i in cluster.memory_ids if by_id[i].is_task}
        assert len(tasks) == 1, cluster
        assert len(cluster.memory_ids) >= ClusteringParams().min_cluster_size


def test_small_users_get_one_cluster_and_results_are_deterministic() -> None:
    rng = np.random.default_rng(0)
    two_blobs = np.vstack([rng.normal([1, 0], 0.01, (3, 2)), rng.normal([0, 1], 0.01, (3, 2))])
    labels, score = choose_clusters(two_blobs, ClusteringParams(min_cluster_size=4))
    assert set(labels.tolist()) == {0} and score is None
    labels, score = choose_clusters(two_blobs, ClusteringParams(min_cluster_size=3))
    assert len(set(labels.tolist())) == 2 and score > 0.9
    memories, vectors = _toy()
    assert cluster_memories(memories, vectors) == cluster_memories(memories, vectors)


def test_precomputed_vectors_drive_the_clustering() -> None:
    memories, _ = _toy()
    one_user = [m for m in memories if m.user_id == "u00"]
    # Vectors that say every memory is the same: one persona, whatever the terms say.
    clusters = cluster_memories(one_user, np.ones((len(one_user), 4)))
    assert len(clusters) == 1 and len(clusters[0].memory_ids) == len(one_user)


def test_a_task_budget_is_spread_over_users_largest_cluster_first() -> None:
    memories, vectors = _toy()
    clusters = cluster_memories(memories, vectors)
    users = sorted({c.user_id for c in clusters})
    picked = spread_over_users(clusters, len(users))
    # One cluster per user, each user's first (largest) one, where taking the first clusters covered fewer users.
    assert [c.user_id for c in picked] == users
    assert all(c.cluster_id.endswith("#0") for c in picked)
    assert len({c.user_id for c in clusters[:len(users)]}) < len(users)
    # Past one per user, second clusters follow; no budget or a large one keeps every cluster.
    more = spread_over_users(clusters, len(users) + 1)
    assert more[:-1] == picked and more[-1].cluster_id.endswith("#1")
    assert spread_over_users(clusters, None) == clusters
    everything = spread_over_users(clusters, 10 * len(clusters))
    assert sorted(everything, key=clusters.index) == clusters and everything[:len(users) + 1] == more
