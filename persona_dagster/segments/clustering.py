"""k-means under cosine distance, and the silhouette sweep that picks k."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

from persona_dagster.errors import NotEnoughData
from sklearn.preprocessing import normalize

Features = np.ndarray | sp.spmatrix | sp.sparray


def l2_normalize(x: Features) -> Features:
    """Rows scaled to unit length (dense or sparse); a zero or non-finite row is an error, it has no direction."""
    if sp.issparse(x):
        matrix = sp.csr_matrix(x, dtype=np.float64)
        values = matrix.data
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    else:
        matrix = np.asarray(x)
        if not np.issubdtype(matrix.dtype, np.floating):
            matrix = matrix.astype(np.float64)
        if matrix.ndim != 2:
            raise ValueError(f"features must be a 2-d matrix, got shape {matrix.shape}")
        values = matrix
        norms = np.linalg.norm(matrix, axis=1)
    if not np.all(np.isfinite(values)):
        raise ValueError("features hold NaN or infinite values")
    zero = np.flatnonzero(norms == 0)
    if zero.size:
        raise ValueError(
            f"{zero.size} feature rows are all zero (first rows {zero[:5].tolist()}); cosine needs a direction"
        )
    return normalize(matrix, norm="l2", axis=1)


def cosine_similarities(x_unit: Features, centroids_unit: np.ndarray) -> np.ndarray:
    """[n, k] cosine similarity of unit rows to unit centroids."""
    if x_unit.shape[1] != centroids_unit.shape[1]:
        raise ValueError(f"features have {x_unit.shape[1]} dimensions, centroids {centroids_unit.shape[1]}")
    return np.asarray(x_unit @ centroids_unit.T)


@dataclass(frozen=True)
class CosineKMeans:
    """One fit: labels (nearest unit centroid by cosine) and unit-length centroids, row i = cluster i, none empty."""

    labels: np.ndarray
    centroids: np.ndarray


def cosine_kmeans(x: Features, k: int, seed: int = 0, n_init: int = 10) -> CosineKMeans:
    """k-means on L2-normalised rows, so squared Euclidean distance is 2 - 2 cos."""
    x_unit = l2_normalize(x)
    if not 1 <= k <= x_unit.shape[0]:
        raise ValueError(f"k={k} must be between 1 and the number of rows ({x_unit.shape[0]})")
    model = KMeans(n_clusters=k, random_state=seed, n_init=n_init).fit(x_unit)
    centroids = l2_normalize(model.cluster_centers_)
    # Labels are re-read by cosine to the unit centroids, exactly how a new user is assigned later,
    # so a training user re-assigned at inference lands in the same cluster.
    nearest = cosine_similarities(x_unit, centroids).argmax(axis=1)
    # A centroid that wins no row after the re-read would be a persona with no members: drop it.
    kept, labels = np.unique(nearest, return_inverse=True)
    return CosineKMeans(labels=labels, centroids=centroids[kept])


@dataclass(frozen=True)
class SilhouetteSweep:
    """Silhouette (cosine) per k, the chosen k, and the fit at that k."""

    scores: dict[int, float]
    best_k: int
    labels: np.ndarray
    centroids: np.ndarray


def feasible_ks(k_min: int, k_max: int, n_rows: int) -> list[int]:
    """The k in [k_min, k_max] a silhouette sweep can fit on n_rows (2 <= k < n_rows); NotEnoughData if none."""
    ks = [k for k in range(max(k_min, 2), k_max + 1) if k < n_rows]
    if not ks:
        raise NotEnoughData(f"k-means with a silhouette sweep over k={k_min}..{k_max} needs at least "
                            f"{max(k_min, 2) + 1} users with embeddings; there are {n_rows}")
    return ks


def silhouette_sweep(
    x: Features, k_values: Iterable[int], seed: int = 0, n_init: int = 10, sample_size: int | None = 5000
) -> SilhouetteSweep:
    """Fit cosine k-means for each k and keep the k of highest silhouette; ties go to the smaller k.

    Silhouette is computed on a seeded sample of `sample_size` rows when there are more rows
    (it is quadratic in n); None scores every row.
    """
    ks = sorted(set(int(k) for k in k_values))
    x_unit = l2_normalize(x)
    n = x_unit.shape[0]
    if not ks:
        raise ValueError("k_values is empty")
    if ks[0] < 2 or ks[-1] >= n:
        raise ValueError(f"silhouette needs 2 <= k < number of rows ({n}); got k values {ks}")
    sample = sample_size if sample_size is not None and n > sample_size else None
    scores: dict[int, float] = {}
    best: tuple[int, CosineKMeans] | None = None
    for k in ks:
        fit = cosine_kmeans(x_unit, k, seed=seed, n_init=n_init)
        if np.unique(fit.labels).size < 2:
            scores[k] = -1.0  # every row fell in one cluster: the worst silhouette, not an error
        else:
            scores[k] = float(
                silhouette_score(x_unit, fit.labels, metric="cosine", sample_size=sample, random_state=seed)
            )
        # Strictly greater keeps the smaller k on a tie, since ks is ascending.
        if best is None or scores[k] > scores[best[0]]:
            best = (k, fit)
    assert best is not None
    return SilhouetteSweep(scores=scores, best_k=best[0], labels=best[1].labels, centroids=best[1].centroids)
