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


def resample_counts(n: int, seed: int = 0, resamples: int = 200) -> np.ndarray:
    """(resamples, n): how often each example is drawn in each bootstrap resample (the draws of `seed`)."""
    draws = np.random.default_rng(seed).integers(0, n, size=(resamples, n))
    counts = np.zeros((resamples, n), dtype=np.int64)
    np.add.at(counts, (np.arange(resamples)[:, None], draws), 1)
    return counts


def paired_statistic_intervals(truth: Sequence, predictions: dict[str, Sequence], statistic, reference: str,
                               seed: int = 0, resamples: int = 200, on_counts=None,
                               pairs: Sequence[tuple[str, str]] = ()) -> dict[str, dict[str, float]]:
    """Per model {value, lo, hi, n} of statistic(truth, pred), and of its difference to `reference`, on shared resamples.

    For statistics that are not means of per-example scores (e.g. weighted F1), the examples are
    resampled and the statistic recomputed; every model sees the same resamples (a paired bootstrap).
    `on_counts(truth, pred, counts)`, where given, computes the statistic of every resample at once from
    resample_counts (the same resamples, weighted instead of copied: the same values, without a Python loop).
    `pairs` adds `{a}_minus_{b}` for other pairs of models, on the same resamples.
    """
    truth = np.asarray(truth, dtype=object)
    preds = {name: np.asarray(p, dtype=object) for name, p in predictions.items()}
    if on_counts is not None:
        counts = resample_counts(len(truth), seed, resamples)
        values = {name: np.asarray(on_counts(truth, p, counts), dtype=np.float64) for name, p in preds.items()}
    else:
        draws = np.random.default_rng(seed).integers(0, len(truth), size=(resamples, len(truth)))
        values = {name: np.array([statistic(truth[d], p[d]) for d in draws]) for name, p in preds.items()}
    out = {}
    for name, p in preds.items():
        lo, hi = np.percentile(values[name], [2.5, 97.5])
        out[name] = {"value": float(statistic(truth, p)), "lo": float(lo), "hi": float(hi), "n": len(truth)}
    differences = [(name, reference) for name in preds if name != reference and reference in preds]
    for a, b in [*differences, *(pair for pair in pairs if pair[0] in preds and pair[1] in preds)]:
        dlo, dhi = np.percentile(values[a] - values[b], [2.5, 97.5])
        out[f"{a}_minus_{b}"] = {"value": out[a]["value"] - out[b]["value"], "lo": float(dlo), "hi": float(dhi),
                                 "n": len(truth)}
    return out
