"""New users go to the nearest centroid by cosine and carry that cluster's persona tag."""

import numpy as np
import pytest

from persona_dagster.segments.assignment import assign_personas
from persona_dagster.segments.clustering import cosine_kmeans
from persona_dagster.segments.persona_map import map_clusters_to_personas

ACTIVITY_TASKS = {"ecs;create-instance": "setup", "rds;instances": "databases", "billing": "costs"}
PERSONA_TASKS = {"devops": {"setup"}, "dba": {"databases"}, "finops": {"costs"}}
TOP = {0: [("ecs;create-instance", 3)], 1: [("rds;instances", 2)], 2: [("billing;bills", 1)]}
PERSONA_MAP = map_clusters_to_personas(TOP, ACTIVITY_TASKS, PERSONA_TASKS)
CENTROIDS = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0]])


def test_new_users_take_the_nearest_centroid_and_its_tag():
    users = ["far-east", "north", "west", "three-four"]
    embeddings = np.array([[20.0, 1.0], [0.1, 5.0], [-3.0, -0.2], [3.0, 4.0]], dtype=np.float32)
    out = assign_personas(users, embeddings, CENTROIDS, PERSONA_MAP, temperature=0.1)
    assert list(out["cluster"]) == [0, 1, 2, 1]
    assert list(out["persona_tag"]) == ["devops", "dba", "finops", "dba"]
    # (3, 4) has cosines 0.6, 0.8, -0.6 to the three centroids.
    row = out.set_index("user_id").loc["three-four"]
    assert row["similarity"] == pytest.approx(0.8)
    expected = np.exp(8.0) / (np.exp(6.0) + np.exp(8.0) + np.exp(-6.0))
    assert row["cluster_probability"] == pytest.approx(expected, rel=1e-5)
    assert row["persona_probability"] == pytest.approx(1.0)


def test_training_users_reassigned_at_inference_keep_their_cluster():
    rng = np.random.default_rng(0)
    x = np.vstack([rng.normal(loc, 0.3, size=(30, 3)) for loc in ([5, 0, 0], [0, 5, 0], [0, 0, 5])])
    fit = cosine_kmeans(x, 3, seed=0)
    out = assign_personas([str(i) for i in range(len(x))], x, fit.centroids, PERSONA_MAP)
    np.testing.assert_array_equal(out["cluster"].to_numpy(), fit.labels)


def test_bad_assignment_inputs_are_named():
    with pytest.raises(ValueError, match="dimensions"):
        assign_personas(["u"], np.ones((1, 3)), CENTROIDS, PERSONA_MAP)
    with pytest.raises(ValueError, match="no persona tag"):
        assign_personas(["u"], np.ones((1, 2)), np.vstack([CENTROIDS, [[0.0, -1.0]]]), PERSONA_MAP)
    with pytest.raises(ValueError, match="temperature"):
        assign_personas(["u"], np.ones((1, 2)), CENTROIDS, PERSONA_MAP, temperature=0)
    with pytest.raises(ValueError, match="2 user ids"):
        assign_personas(["u", "v"], np.ones((1, 2)), CENTROIDS, PERSONA_MAP)
