"""Popularity and Markov baselines, and the metrics every model is scored with."""

import pandas as pd
import pytest

from persona_dagster.sessionbert.baselines import MarkovBaseline, PopularityBaseline
from persona_dagster.sessionbert.evaluate import classification_metrics, evaluate_predictions


def _examples(rows: list[tuple[list[str], str]]) -> pd.DataFrame:
    return pd.DataFrame(
        {"history": [h for h, _ in rows], "next_page": [t for _, t in rows], "next_service": [t.split(";")[0] for _, t in rows]}
    )


TRAIN = _examples(
    [
        (["a;1", "b;1"], "c;1"),
        (["b;1"], "c;1"),
        (["c;1"], "a;2"),
        (["x;9"], "c;1"),
    ]
)


def test_popularity_predicts_the_most_frequent_target():
    pred = PopularityBaseline().fit(TRAIN).predict(_examples([(["a;1"], "b;1")] * 2))
    assert pred == {"service": ["c", "c"], "page": ["c;1", "c;1"]}


def test_markov_uses_the_previous_activity_and_backs_off_to_popular():
    test = _examples([(["q;1", "c;1"], "a;2"), (["a;1"], "b;1"), (["never;seen"], "c;1")])
    pred = MarkovBaseline().fit(TRAIN).predict(test)
    # c;1 -> a;2 (once); a;1 -> b;1 (within a history); an unseen previous falls back to the top target.
    assert pred["page"] == ["a;2", "b;1", "c;1"]
    assert pred["service"] == ["a", "b", "c"]


def test_second_order_markov_uses_the_last_two_activities_and_backs_off():
    train = _examples([(["a;1", "b;1"], "c;1"), (["x;1", "b;1"], "d;1"), (["y;1", "b;1"], "d;1")])
    test = _examples([(["a;1", "b;1"], "c;1"), (["q;1", "b;1"], "d;1"), (["b;1"], "c;1"), (["zz;1"], "c;1")])
    # (a;1, b;1) -> c;1 though b;1 -> d;1 more often; an unseen pair backs off to b;1 -> d;1; a one-click
    # history's context is (session start, b;1), never seen (b;1 never opened a session): first order again.
    assert MarkovBaseline(order=2).fit(train).predict(test)["page"] == ["c;1", "d;1", "d;1", "d;1"]
    assert MarkovBaseline(order=1).fit(train).predict(test)["page"] == ["d;1", "d;1", "d;1", "d;1"]


def test_metrics_by_hand():
    m = classification_metrics(["a", "a", "b", "c"], ["a", "b", "b", "a"])
    assert m["accuracy"] == 0.5 and m["n"] == 4
    # F1 per class: a 0.5, b 2/3, c 0; weights 2/4, 1/4, 1/4.
    assert m["macro_f1"] == pytest.approx((0.5 + 2 / 3 + 0) / 3)
    assert m["weighted_f1"] == pytest.approx(0.5 * 0.5 + 0.25 * 2 / 3)


def test_evaluate_predictions_scores_each_task_against_its_column():
    test = _examples([(["a;1"], "b;1"), (["a;1"], "b;2")])
    scores = evaluate_predictions({"service": ["b", "b"], "page": ["b;1", "b;1"]}, test)
    assert scores["service"]["accuracy"] == 1.0 and scores["page"]["accuracy"] == 0.5
