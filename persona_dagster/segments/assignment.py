"""Assign users to the nearest cluster centroid by cosine, so new users need no re-clustering."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from persona_dagster.segments.clustering import Features, cosine_similarities, l2_normalize
from persona_dagster.segments.persona_map import PersonaMap


def softmax_rows(scores: np.ndarray, temperature: float) -> np.ndarray:
    """Row-wise softmax of scores / temperature."""
    if temperature <= 0:
        raise ValueError(f"temperature must be positive, got {temperature}")
    z = scores / temperature
    z = z - z.max(axis=1, keepdims=True)  # shift for overflow safety; softmax is unchanged
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def assign_personas(
    user_ids: Sequence[str],
    embeddings: Features,
    centroids: np.ndarray,
    persona_map: PersonaMap,
    temperature: float = 0.05,
) -> pd.DataFrame:
    """One row per user: user_id, cluster, similarity, cluster_probability, persona_tag, persona_probability.

    cluster = the centroid (row i is cluster i) of highest cosine similarity.
    cluster_probability = softmax over the user's cosine similarities to all centroids at
    `temperature`: how clearly the user belongs to that cluster rather than another.
    persona_probability = the persona map's probability of the cluster's tag: how clearly the
    cluster is that persona. Their product is a fair single confidence when one is needed.
    """
    centroid_matrix = np.asarray(centroids)
    if centroid_matrix.ndim != 2 or centroid_matrix.shape[0] == 0:
        raise ValueError(f"centroids must be a non-empty [k, dim] matrix, got shape {centroid_matrix.shape}")
    if len(user_ids) != embeddings.shape[0]:
        raise ValueError(f"{len(user_ids)} user ids but {embeddings.shape[0]} embedding rows")
    unknown = [c for c in range(centroid_matrix.shape[0]) if c not in persona_map.clusters]
    if unknown:
        raise ValueError(f"clusters {unknown} have a centroid but no persona tag")
    similarities = cosine_similarities(l2_normalize(embeddings), l2_normalize(centroid_matrix))
    nearest = similarities.argmax(axis=1)
    rows = np.arange(len(nearest))
    tags = {c: persona_map.clusters[c] for c in range(centroid_matrix.shape[0])}
    return pd.DataFrame({
        "user_id": list(user_ids),
        "cluster": nearest,
        "similarity": similarities[rows, nearest],
        "cluster_probability": softmax_rows(similarities, temperature)[rows, nearest],
        "persona_tag": [tags[c].tag for c in nearest],
        "persona_probability": [tags[c].probability for c in nearest],
    })
