"""Weighted F1 (scikit-learn's average='weighted', zero_division=0) of many bootstrap resamples at once."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import sparse


def _one_hot(rows: np.ndarray, codes: np.ndarray, n: int, k: int) -> sparse.csr_matrix:
    return sparse.csr_matrix((np.ones(len(rows)), (rows, codes)), shape=(n, k))


def weighted_f1_on_counts(truth: Sequence, pred: Sequence, counts: np.ndarray) -> np.ndarray:
    """Weighted F1 of each row of `counts` (how often each example is drawn): one value per resample.

    Per label, F1 = 2 TP / (support + predicted), weighted by support; a label never true has weight 0,
    one never predicted F1 0 (scikit-learn with zero_division=0). Counts weight the examples, so a
    resample's value equals the F1 of the examples copied that many times.
    """
    truth, pred = np.asarray(truth, dtype=object), np.asarray(pred, dtype=object)
    n = len(truth)
    codes, labels = pd.factorize(np.concatenate([truth, pred]), use_na_sentinel=False)
    y, p, k = codes[:n], codes[n:], len(labels)
    rows = np.arange(n)
    hit = y == p
    weights = np.asarray(counts, dtype=np.float64).T  # (n, resamples)
    support = _one_hot(rows, y, n, k).T @ weights  # (labels, resamples)
    predicted = _one_hot(rows, p, n, k).T @ weights
    true_positive = _one_hot(rows[hit], y[hit], n, k).T @ weights
    denominator = support + predicted
    f1 = np.divide(2 * true_positive, denominator, out=np.zeros_like(denominator), where=denominator > 0)
    return (support * f1).sum(axis=0) / support.sum(axis=0)
