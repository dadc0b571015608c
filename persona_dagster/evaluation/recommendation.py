"""One seen/unseen split scored under the protocol: the trained recommender, the paper's rule, the baselines."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict

import pandas as pd

from persona_dagster.evaluation.intervals import bootstrap_interval, paired_difference
from persona_dagster.evaluation.protocol import TimeSplit, time_split
from persona_dagster.segments.adoption_model import AdoptionInputs, AdoptionRecommender
from persona_dagster.segments.adoption_selection import choose_knobs, knob_grid
from persona_dagster.segments.baselines import item_knn_recommendations, popularity_recommendations
from persona_dagster.segments.metrics import per_user_hits
from persona_dagster.segments.recommend import RECOMMENDATIONS
from persona_dagster.segments.splits import EvaluationSet, evaluation_set

KS = (5, 3)
BASELINES = ("popularity", "item_knn")
MODEL = "sessionbert"  # the trained adoption recommender, the default behind marts.service_recommendations


def method_scores(recommendations: pd.DataFrame, targets: Mapping[str, frozenset[str]]) -> dict:
    """{hit@5, hit@3, hit@5_ci, hit@3_ci, n}: rates over the same scored users, with 95% intervals."""
    out: dict = {}
    for k in KS:
        ci = bootstrap_interval(per_user_hits(recommendations, targets, k))
        out[f"hit@{k}"], out[f"hit@{k}_ci"] = ci["mean"], [ci["lo"], ci["hi"]]
        out["n"] = ci["n"]
    return out


def score_split(recommendations: Mapping[str, pd.DataFrame], targets: Mapping[str, frozenset[str]]) -> dict:
    """Every method's scores, plus the paired Hit@5 difference of the model against each baseline."""
    scores = {name: method_scores(recs, targets) for name, recs in recommendations.items()}
    hits = {name: per_user_hits(recs, targets, 5) for name, recs in recommendations.items()}
    for base in BASELINES:
        if MODEL in hits and base in hits:
            scores[MODEL][f"hit@5_minus_{base}"] = paired_difference(hits[MODEL], hits[base])
    return scores


def trained_recommendations(inputs: AdoptionInputs, split: TimeSplit, users: list[str],
                            with_embedding: bool) -> tuple[pd.DataFrame, dict, list[dict]]:
    """(recommendations for the test window, chosen knobs, validation rows): knobs on validation, refit to valid_end."""
    knobs, search = choose_knobs(inputs, split, knob_grid(with_embedding))
    model = AdoptionRecommender.fit(inputs, split.test_cutoff, knobs)
    return model.recommend(inputs, pd.Index(users), split.test_cutoff, RECOMMENDATIONS), asdict(knobs), search


def evaluate_split(sessions: pd.DataFrame, adoption: pd.DataFrame, inputs: AdoptionInputs, seen_days: int,
                   valid_days: int, extra: Mapping[str, pd.DataFrame] | None = None) -> dict:
    """Scores of one split; `extra` adds recommendations made elsewhere (e.g. the paper's rule) for the same users."""
    split = time_split(sessions["event_date"], seen_days, valid_days)
    es: EvaluationSet = evaluation_set(sessions, adoption, seen_days)
    users = sorted(es.targets)
    recs, knobs, search = trained_recommendations(inputs, split, users, inputs.vectors is not None)
    methods = {MODEL: recs,
               "popularity": popularity_recommendations(es.used, users=users),
               "item_knn": item_knn_recommendations(es.used, users=users), **(extra or {})}
    return {"seen_days": seen_days, "last_seen": str(es.split.last_seen), "scored_users": es.n_scored,
            "protocol": split.describe(), "chosen_knobs": knobs, "validation": search,
            **score_split(methods, es.targets)}
