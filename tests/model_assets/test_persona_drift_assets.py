"""Persona drift end to end: generated switches -> warehouse -> memories -> drift asset, its check and report.

marts.persona_drift and its dbt tests are built with the other ml marts in test_model_assets.
"""

import datetime as dt
import json

import dagster as dg
import pytest

from tests.foundation.pipeline_fixtures import data_dir, query

from persona_dagster.synth.generator import SynthConfig, generate

pytestmark = pytest.mark.slow

FIRST, LAST = dt.date(2026, 1, 1), dt.date(2026, 1, 14)


@pytest.fixture(scope="module")
def drifted(tmp_path_factory):
    """Two weeks of 30 users, 30% of whom switch main persona mid-way, through the drift assets."""
    root = tmp_path_factory.mktemp("drift")
    generate(SynthConfig(users=30, days=14, seed=5, persona_switch_share=0.3), root)
    from persona_dagster.definitions import defs
    from persona_dagster.runner import materialize_days

    graph = defs.resolve_asset_graph()
    wanted = {"intent_memories", "persona_drift", "persona_drift_evaluation"}
    day_marts = {k for k in graph.materializable_asset_keys if k.path[0] == "marts" and graph.get(k).partitions_def}
    selection = day_marts | {k for k in graph.materializable_asset_keys
                             if k.path[0] in {"raw", "staging", "intermediate"} or k.path[-1] in wanted}
    with data_dir(root):
        results = materialize_days(FIRST, LAST, instance=dg.DagsterInstance.ephemeral(), log_level="WARNING",
                                   selection=selection)
    assert all(r.success for r in results)
    return root, results


def test_the_table_holds_one_row_per_active_user_and_day(drifted):
    root, _ = drifted
    days, users, rows, keys, changed = query(root, """
        select count(distinct as_of_date), count(distinct user_id), count(*),
               count(distinct (user_id, as_of_date)), count(*) filter (where main_changed) from ml.persona_drift""")[0]
    assert days == 14 and users >= 28 and rows == keys >= days * 20 and changed > 0


def test_the_check_warns_with_its_figures_when_many_main_personas_change(drifted):
    _, results = drifted
    (evaluation,) = [e for r in results for e in r.get_asset_check_evaluations()
                     if e.check_name == "main_persona_changes_within_threshold"]
    assert not evaluation.passed and evaluation.severity == dg.AssetCheckSeverity.WARN
    metadata = evaluation.metadata
    assert metadata["max_main_changed_share"].value > metadata["threshold"].value == 0.15
    assert "2026-01-14" in metadata["days_over"].value


def test_drift_detection_finds_the_injected_switches(drifted):
    root, _ = drifted
    report = json.loads((root / "reports" / "persona_drift.json").read_text())
    metrics = report["metrics"]
    assert metrics["switched_users"] >= 7
    assert metrics["recall"] >= 0.7 and metrics["precision"] >= 0.6, metrics
