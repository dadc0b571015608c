"""The code location loads the way `dagster dev -w workspace.yaml` loads it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from persona_dagster.settings import DATA_DIR_ENV, REPO_ROOT


@pytest.mark.slow
def test_workspace_validates_with_the_dagster_cli(tmp_path):
    dagster = Path(sys.executable).parent / "dagster"
    env = {**os.environ, DATA_DIR_ENV: str(tmp_path), "DAGSTER_HOME": str(tmp_path)}
    result = subprocess.run([str(dagster), "definitions", "validate", "-w", "workspace.yaml"],
                            cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


def test_asset_graph_links_landing_to_marts():
    from persona_dagster.definitions import defs

    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    assert {"raw/events", "raw/activity_tasks", "staging/stg_clickstream__events",
            "staging/stg_clickstream__quarantine", "marts/session_sequences", "marts/intent_segments",
            "marts/user_service_adoption", "marts/daily_user_activity"} <= keys
    upstream = {k.to_user_string() for k in graph.upstream_key_iterator(
        next(k for k in graph.get_all_asset_keys() if k.to_user_string() == "marts/intent_segments"))}
    assert {"raw/events", "raw/activity_tasks"} <= upstream
    # dbt tests surface as asset checks, including the raw = clean + quarantined accounting.
    checks = {c.name for c in graph.asset_check_keys}
    assert "assert_raw_rows_are_clean_or_quarantined" in checks
    assert "every_landing_file_readable" in checks


def test_assets_that_read_the_task_reference_declare_it():
    """Each asset that reads staging.stg_reference__* in Python lists it as a dep, so a selection that includes
    the asset's upstream builds those tables first (persona_induction_evaluation once failed on a fresh warehouse)."""
    import dagster as dg

    from persona_dagster.definitions import defs
    from persona_dagster.defs.warehouse.keys import ACTIVITY_TASKS, PERSONA_TASKS

    graph = defs.resolve_asset_graph()
    readers = {"persona_induction_evaluation": {ACTIVITY_TASKS, PERSONA_TASKS},
               "persona_map": {ACTIVITY_TASKS, PERSONA_TASKS}, "persona_drift": {PERSONA_TASKS}}
    for name, needed in readers.items():
        parents = graph.get(dg.AssetKey(name)).parent_keys
        assert needed <= parents, f"{name} reads {sorted(k.to_user_string() for k in needed - parents)} undeclared"
