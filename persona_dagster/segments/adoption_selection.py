"""Knobs of the adoption recommender chosen on validation days, then one refit that serves the test window."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import asdict, replace

import pandas as pd

from persona_dagster.evaluation.protocol import TimeSplit
from persona_dagster.segments.adoption_model import AdoptionInputs, AdoptionKnobs, AdoptionRecommender, users_active_by
from persona_dagster.segments.adoption_features import first_uses
from persona_dagster.segments.metrics import hit_at_k


def knob_grid(with_embedding: bool) -> list[AdoptionKnobs]:
    """The small grid validation searches: inputs x capacity x regularisation."""
    inputs = (False, True) if with_embedding else (False,)
    # Co-use weights alone, then per-service scores over usage (and SessionBERT vectors), linear or an MLP.
    grid = [AdoptionKnobs(use_embedding=False, hidden=-1)]
    return grid + [AdoptionKnobs(use_embedding=e, hidden=h, weight_decay=w)
                   for e in inputs for h, w in ((0, 1e-1), (64, 1e-3))]


def window_targets(inputs: AdoptionInputs, users: pd.Index, services: pd.Index, after: dt.date,
                   until: dt.date) -> dict[str, frozenset[str]]:
    """{user: services first used in (after, until]} for users with at least one."""
    hits = first_uses(inputs.adoption, users, services, after, until)
    return {u: frozenset(services[hits[i]]) for i, u in enumerate(users) if hits[i].any()}


def validation_hit_rate(inputs: AdoptionInputs, split: TimeSplit, knobs: AdoptionKnobs, k: int = 5) -> dict:
    """Hit@k on the validation days of a model fitted on the training days only."""
    model = AdoptionRecommender.fit(inputs, split.train_end, knobs)
    users = users_active_by(inputs, split.train_end)
    targets = window_targets(inputs, users, model.services, split.train_end, split.valid_end)
    scored = pd.Index(sorted(targets))
    rate = hit_at_k(model.recommend(inputs, scored, split.train_end, k), targets, k)
    return {**asdict(knobs), "valid_hit@5": rate.rate, "valid_users": rate.scored_users}


def choose_knobs(inputs: AdoptionInputs, split: TimeSplit, grid: Sequence[AdoptionKnobs]) -> tuple[AdoptionKnobs, list[dict]]:
    """(best knobs by validation Hit@5, first in grid order on ties; every row of the search)."""
    rows = [validation_hit_rate(inputs, split, knobs) for knobs in grid]
    best = max(range(len(rows)), key=lambda i: (rows[i]["valid_hit@5"], -i))
    return replace(grid[best]), rows
