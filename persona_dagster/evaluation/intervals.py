"""95% bootstrap intervals for per-example scores, and for paired differences between two models."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RESAMPLES = 1000


def bootstrap_interval(values: Sequence[float], seed: int = 0, resamples: int = RESAMPLES) -> dict[str, float]:
    """{mean, lo, hi, n}: the mean of per-example scores with its 95% percentile bootstrap interval."""
    x = np.asarray(values, dtype=np.float64)
    if x.size == 0:
        raise ValueError("no examples to score: an interval needs at least one")
    rng = np.random.default_rng(seed)
    means = x[rng.integers(0, x.size, size=(resamples, x.size))].mean(axis=1)
    lo, hi = np.percentile(means, [2.5, 97.5])
    return {"mean": float(x.mean()), "lo": float(lo), "hi": float(hi), "n": int(x.size)}


def paired_difference(a: Sequence[float], b: Sequence[float], seed: int = 0) -> dict[str, float]:
    """Interval of mean(a - b) over the same examples; `lo > 0` means a beats b beyond resampling noise."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"paired scores must cover the same examples: {a.shape} vs {b.shape}")
    return bootstrap_interval(a - b, seed)
