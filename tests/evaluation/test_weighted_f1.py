"""The vectorized bootstrap of weighted F1 gives scikit-learn's figures on the same resamples."""

import numpy as np
import pytest
from sklearn.metrics import f1_score

from persona_dagster.evaluation.intervals import paired_statistic_intervals, resample_counts
from persona_dagster.evaluation.weighted_f1 import weighted_f1_on_counts


def _sklearn_f1(truth, pred) -> float:
    return float(f1_score(truth, pred, average="weighted", zero_division=0))


def _labels(rng, n, k, prefix="s"):
    return np.array([f"{prefix}{i}" for i in rng.integers(0, k, size=n)], dtype=object)


def test_each_resample_equals_sklearn_on_the_copied_examples():
    rng = np.random.default_rng(3)
    truth = _labels(rng, 150, 9)
    pred = np.where(rng.random(150) < 0.6, truth, _labels(rng, 150, 12))  # some labels only ever predicted
    counts = resample_counts(len(truth), seed=5, resamples=20)
    fast = weighted_f1_on_counts(truth, pred, counts)
    for row, value in zip(counts, fast):
        copied = np.repeat(np.arange(len(truth)), row)
        assert value == pytest.approx(_sklearn_f1(truth[copied], pred[copied]), abs=1e-12)


def test_intervals_on_counts_equal_the_resampling_loop():
    rng = np.random.default_rng(4)
    truth = _labels(rng, 120, 6)
    preds = {"markov": np.where(rng.random(120) < 0.5, truth, _labels(rng, 120, 6)),
             "sessionbert": np.where(rng.random(120) < 0.7, truth, _labels(rng, 120, 6)),
             "markov2": _labels(rng, 120, 6)}
    slow = paired_statistic_intervals(truth, preds, _sklearn_f1, reference="markov", resamples=50)
    slow_pair = paired_statistic_intervals(truth, {k: preds[k] for k in ("sessionbert", "markov2")}, _sklearn_f1,
                                           reference="markov2", resamples=50)
    fast = paired_statistic_intervals(truth, preds, _sklearn_f1, reference="markov", resamples=50,
                                      on_counts=weighted_f1_on_counts, pairs=[("sessionbert", "markov2")])
    for key in ("markov", "sessionbert", "markov2", "sessionbert_minus_markov", "markov2_minus_markov"):
        assert fast[key] == pytest.approx(slow[key], abs=1e-12)
    assert fast["sessionbert_minus_markov2"] == pytest.approx(slow_pair["sessionbert_minus_markov2"], abs=1e-12)
    assert fast["sessionbert_minus_markov"]["lo"] > 0  # 70% vs 50% correct on 120 examples: beyond noise
