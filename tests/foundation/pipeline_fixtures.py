"""Build a small generated dataset and a real warehouse through Dagster, for end-to-end tests."""

from __future__ import annotations

import datetime as dt
import shutil
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from persona_dagster.settings import DATA_DIR_ENV
from persona_dagster.warehouse.dbt_process import environment

DAY1, DAY2, DAY3 = dt.date(2026, 1, 1), dt.date(2026, 1, 2), dt.date(2026, 1, 3)


@contextmanager
def data_dir(path: Path):
    """Point the pipeline (and the dbt subprocess) at another data directory for a while."""
    # Tiny test models rarely reach popularity's Hit@5: record the quality gate, don't fail on it.
    changes = {DATA_DIR_ENV: str(path), "PERSONA_DAGSTER_QUALITY_GATE": "warn"}
    with environment(changes):
        yield path


# Models small enough to train in seconds: the tests check outcomes, not quality.
TINY_TRAINING = {"preset": "tiny", "epochs": 2, "max_sessions": 2000, "batch_size": 16}
TINY_MODELS = {
    "session_tokenizer": TINY_TRAINING,
    "sessionbert_mlm": TINY_TRAINING,
    "generic_bert_mlm": TINY_TRAINING,
    "next_activity_model": TINY_TRAINING,
    "sessionbert_user_encoder": {"steps": 10, "batch_users": 8},
    "next_activity_evaluation": {"preset": "tiny", "epochs": 1, "max_sessions": 400, "ablation_max_sessions": 200,
                                 "ablation_lengths": [64, 128]},
    "user_segments": {"k_min": 2, "k_max": 5},
    "persona_map": {"k_min": 2, "k_max": 5},
    "recommendation_evaluation": {"k_min": 2, "k_max": 5, "seen_days": [3], "valid_days": 1,
                                  "finetune_epochs": 1, "encoder_epochs": 1, "encoder_preset": "tiny",
                                  "contrastive_steps": 10},
    # The from-scratch tiny policy: the pretrained backbone has its own (slow-marked) tests.
    **{name: {"backbone": "tiny", "max_users": 8, "sft_epochs": 8, "dpo_rounds": 1, "candidates": 4, "eval_samples": 2}
       for name in ("persona_policy", "induced_personas", "persona_induction_evaluation")},
}
WAREHOUSE_ONLY = {"raw", "staging", "intermediate", "marts"}


def materialize(path: Path, first: dt.date, last: dt.date, groups: set[str] | None = WAREHOUSE_ONLY,
                instance: dg.DagsterInstance | None = None) -> list[dg.ExecuteInProcessResult]:
    """Materialize the assets whose key starts with one of `groups` (None: every asset) for [first, last]."""
    from persona_dagster.definitions import defs
    from persona_dagster.runner import materialize_days

    graph = defs.resolve_asset_graph()
    # marts over model outputs (unpartitioned) belong with the models, not the warehouse days.
    selection = {k for k in graph.materializable_asset_keys if groups is None or (
        k.path[0] in groups and (k.path[0] == "raw" or graph.get(k).partitions_def is not None))}
    with data_dir(path):
        results = materialize_days(first, last, instance=instance or dg.DagsterInstance.ephemeral(),
                                   selection=selection, asset_config=TINY_MODELS, log_level="WARNING")
    assert all(r.success for r in results)
    return results


def copy_inputs(source: Path, target: Path) -> Path:
    """Same landing files and reference inputs, fresh warehouse."""
    for folder in ("landing", "reference", "ground_truth"):
        shutil.copytree(source / folder, target / folder)
    return target


def query(path: Path, sql: str, params=()):
    con = duckdb.connect(str(path / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()
