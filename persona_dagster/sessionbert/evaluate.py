"""Accuracy and F1 per head.

Headline: weighted F1. Class frequencies in clickstream are very skewed; weighted F1
scores each class by its share of the test examples, so it reflects how often the
prediction is right for real traffic, and it is what the SessionBERT paper's F1
figures are comparable to. Macro F1 is reported beside it because it exposes models
that only get the frequent pages right.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

from persona_dagster.sessionbert.examples import TASK_TARGETS

HEADLINE_METRIC = "weighted_f1"


def classification_metrics(y_true: Sequence[str], y_pred: Sequence[str]) -> dict[str, float]:
    """accuracy, macro_f1, weighted_f1 and n; labels unseen in training count as errors."""
    if len(y_true) == 0:
        return {"accuracy": float("nan"), "macro_f1": float("nan"), "weighted_f1": float("nan"), "n": 0}
    return {
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "weighted_f1": float(f1_score(y_true, y_pred, average="weighted", zero_division=0)),
        "n": len(y_true),
    }


def evaluate_predictions(
    predictions: Mapping[str, Sequence[str]], examples: pd.DataFrame
) -> dict[str, dict[str, float]]:
    """{task: metrics} for each predicted task, against the examples' true next service/page."""
    return {
        task: classification_metrics(list(examples[TASK_TARGETS[task]]), list(pred))
        for task, pred in predictions.items()
    }
