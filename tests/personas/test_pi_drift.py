"""Persona drift: period comparison semantics, and detection of the generator's injected main-persona switches."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from persona_dagster.landing.reader import read_landing_file
from persona_dagster.personas.drift import (
    DriftParams,
    drift_summary,
    evidence_shares,
    switch_detection,
    task_posteriors,
    user_drift,
)
from persona_dagster.synth import SynthConfig, generate

PERSONA_TASKS = pd.DataFrame([
    ("finops", "review_costs", 3.0), ("finops", "monitor", 1.0),
    ("devops", "deploy", 3.0), ("devops", "monitor", 1.0),
    ("security", "audit", 1.0),
], columns=["persona", "task", "weight"])
DAY = dt.date(2026, 1, 14)


def _memories(user: str, tasks: list[str], first: dt.date) -> list[dict]:
    return [{"user_id": user, "as_of_date": first + dt.timedelta(days=i % 7), "intent": t} for i, t in enumerate(tasks)]


def test_a_shared_task_splits_its_evidence_by_how_typical_it_is() -> None:
    posteriors = task_posteriors(PERSONA_TASKS)
    assert posteriors["review_costs"] == {"finops": 1.0}
    assert posteriors["monitor"] == pytest.approx({"finops": 0.5, "devops": 0.5})
    memories = pd.DataFrame(_memories("u", ["review_costs", "monitor", "navigation"], DAY))
    shares = evidence_shares(memories, posteriors, DAY, DAY + dt.timedelta(days=6)).set_index("persona")
    assert shares["share"].to_dict() == pytest.approx({"finops": 0.75, "devops": 0.25}), "unmapped: no evidence"
    assert set(shares["n_memories"]) == {2}


def test_periods_compare_main_persona_gains_losses_and_shift() -> None:
    before, after = DAY - dt.timedelta(days=13), DAY - dt.timedelta(days=6)
    memories = pd.DataFrame(
        _memories("switcher", ["review_costs"] * 6 + ["audit"] * 2, before)
        + _memories("switcher", ["deploy"] * 8, after)
        + _memories("steady", ["deploy"] * 5, before) + _memories("steady", ["deploy"] * 4 + ["monitor"], after)
        + _memories("newcomer", ["audit"] * 4, after) + _memories("sparse", ["deploy"] * 2, before)
        + _memories("sparse", ["audit"] * 2, after))
    drift = user_drift(memories, PERSONA_TASKS, DAY).set_index("user_id")
    switcher, steady = drift.loc["switcher"], drift.loc["steady"]
    assert (switcher["previous_main"], switcher["current_main"], switcher["main_changed"]) == ("finops", "devops", True)
    assert switcher["personas_gained"] == ["devops"] and switcher["personas_lost"] == ["finops", "security"]
    assert switcher["evidence_shift"] == pytest.approx(1.0)
    assert not steady["main_changed"] and steady["evidence_shift"] == pytest.approx(0.1)
    assert drift.loc["newcomer", "previous_memories"] == 0 and not drift.loc["newcomer", "compared"]
    assert drift.loc["newcomer", "personas_gained"] == ["security"]
    assert not drift.loc["sparse", "main_changed"], "two memories a side are too few to call a change"
    summary = drift_summary(drift.reset_index())
    assert summary["compared_users"] == 2 and summary["main_changed_share"] == 0.5 and summary["new_users"] == 1
    assert summary["top_transitions"] == [{"from": "finops", "to": "devops", "users": 1}]


def test_switch_detection_counts_users_and_needs_the_periods_to_straddle_the_switch() -> None:
    drift = pd.DataFrame({
        "user_id": ["a", "b", "c", "d", "d"], "as_of_date": [DAY] * 5, "period_days": [7] * 5,
        "compared": [True] * 5, "main_changed": [True, True, False, True, True],
    })
    # a switched inside the window; b switched long before it (a stale detection); c was missed; d never switched.
    switches = pd.DataFrame({"user_id": ["a", "b", "c"], "switch_date": ["2026-01-10", "2025-12-01", "2026-01-09"]})
    scores = switch_detection(drift, switches)
    assert (scores["true_positives"], scores["false_positives"], scores["false_negatives"]) == (1, 2, 2)
    assert scores["precision"] == pytest.approx(1 / 3) and scores["recall"] == pytest.approx(1 / 3)


def _task_rows(root) -> pd.DataFrame:
    """Every landed event as task evidence through the reference activity -> task map (no ground truth)."""
    events = pd.concat([read_landing_file(p).to_pandas() for p in sorted((root / "landing").glob("dt=*/*"))])
    tasks = pd.read_csv(root / "reference" / "activity_tasks.csv")
    rows = events.merge(tasks, on=["service", "page"])
    return pd.DataFrame({"user_id": rows["user_id"], "as_of_date": pd.to_datetime(rows["ts"]).dt.date,
                         "intent": rows["task"]})


@pytest.fixture(scope="module")
def switched(tmp_path_factory):
    root = tmp_path_factory.mktemp("drift")
    config = SynthConfig(users=60, days=14, seed=3, persona_switch_share=0.25)
    generate(config, root)
    return root, config


def test_injected_switches_are_written_apart_as_ground_truth(switched) -> None:
    root, config = switched
    switches = pd.read_csv(root / "ground_truth" / "persona_switches.csv")
    assert len(switches) == 15 and switches["user_id"].is_unique
    assert not list((root / "landing").rglob("*switch*")), "ground truth never lands"
    first, last = pd.Timestamp(config.start) + pd.Timedelta(days=4), pd.Timestamp(config.start) + pd.Timedelta(days=9)
    assert pd.to_datetime(switches["switch_date"]).between(first, last).all(), "switches fall in the middle third"
    users = pd.read_csv(root / "ground_truth" / "users.csv", keep_default_na=False).set_index("user_id")
    assert (users.loc[switches["user_id"], "main_persona"].to_numpy() == switches["from_persona"].to_numpy()).all()
    assert (switches["from_persona"] != switches["to_persona"]).all()


def test_drift_detection_finds_injected_switches(switched) -> None:
    root, config = switched
    rows = _task_rows(root)
    params = DriftParams(period_days=7, min_memories=10)
    drift = user_drift(rows, pd.read_csv(root / "reference" / "persona_tasks.csv"), dt.date(2026, 1, 14), params)
    scores = switch_detection(drift, pd.read_csv(root / "ground_truth" / "persona_switches.csv"))
    assert scores["evaluated_users"] >= 50 and scores["switched_users"] >= 12
    assert scores["recall"] >= 0.8 and scores["precision"] >= 0.8, scores


def test_without_switches_few_main_personas_change(tmp_path) -> None:
    config = SynthConfig(users=60, days=14, seed=3)
    generate(config, tmp_path)
    assert pd.read_csv(tmp_path / "ground_truth" / "persona_switches.csv").empty
    drift = user_drift(_task_rows(tmp_path), pd.read_csv(tmp_path / "reference" / "persona_tasks.csv"),
                       dt.date(2026, 1, 14), DriftParams(min_memories=10))
    assert drift_summary(drift)["main_changed_share"] <= 0.1


def test_switching_changes_nothing_before_the_first_switch(switched, tmp_path) -> None:
    root, config = switched
    generate(dataclasses.replace(config, persona_switch_share=0.0), tmp_path)
    first = pd.to_datetime(pd.read_csv(root / "ground_truth" / "persona_switches.csv")["switch_date"]).min().date()
    with_switch, without = _task_rows(root), _task_rows(tmp_path)
    before = [frame[frame["as_of_date"] < first].reset_index(drop=True) for frame in (with_switch, without)]
    pd.testing.assert_frame_equal(*before)
    assert len(with_switch) != len(without)


def test_without_persona_definitions_there_is_no_drift_and_nothing_breaks() -> None:
    no_definitions = PERSONA_TASKS.iloc[:0]
    drift = user_drift(pd.DataFrame(_memories("u", ["deploy"] * 4, DAY)), no_definitions, DAY)
    assert drift.empty and drift_summary(drift)["compared_users"] == 0
    assert switch_detection(drift, pd.DataFrame(columns=["user_id", "switch_date"]))["switched_users"] == 0
