"""Resources: the DuckDB warehouse, the dbt CLI, MLflow tracking, the model store, the reports."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from persona_dagster import model_store
from persona_dagster.defs.warehouse.project import dbt_project
from persona_dagster.reports import write_report
from persona_dagster.settings import dagster_ui_url, data_paths
from persona_dagster.tracking import (
    DESCRIPTION_TAG,
    ORIGIN_PREFIX,
    ensure_experiment,
    init_store,
    sqlite_tracking_uri,
)
from persona_dagster.warehouse.dbt_process import dbt_launcher


class MLflowResource(dg.ConfigurableResource):
    """MLflow with a sqlite backend; every run opened here is closed, even when the asset fails."""

    tracking_uri: str
    artifact_root: str

    @contextlib.contextmanager
    def start_run(self, experiment: str, run_name: str, tags: dict[str, str] | None = None) -> Iterator:
        # Offline machines: no telemetry (set before mlflow's first import; the Makefile and CI export it too).
        os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
        import mlflow

        mlflow.set_tracking_uri(self.tracking_uri)
        init_store(self.tracking_uri, self.artifact_root)
        experiment_id = ensure_experiment(mlflow.MlflowClient(self.tracking_uri), experiment, self.artifact_root)
        tags = {**origin_tags(), **(tags or {})}
        with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=tags) as run:
            yield run


class ModelStoreResource(dg.ConfigurableResource):
    """The content-versioned model store (model_store): assets publish what they train and read back what is current."""

    root: str

    @property
    def path(self) -> Path:
        return Path(self.root)

    def current(self, name: str) -> model_store.StoredModel:
        return model_store.current(self.path, name)

    def current_metadata(self, name: str) -> dict:
        return model_store.current_metadata(self.path, name)

    def publish(self, source_dir: Path, name: str, extra: dict | None = None) -> model_store.StoredModel:
        return model_store.publish(source_dir, self.path, name, extra=extra)

    def work_dir(self, *parts: str) -> Path:
        """Scratch space for training runs (resumable checkpoints), under the store."""
        return self.path.joinpath("work", *parts)


class ReportsResource(dg.ConfigurableResource):
    """Where evaluations write their JSON reports and plots, and read the synthetic data's ground truth."""

    root: str
    plots: str
    ground_truth: str

    def write(self, name: str, payload: dict[str, Any]) -> Path:
        return write_report(Path(self.root), name, payload)

    def plot_path(self, filename: str) -> Path:
        return Path(self.plots) / filename

    @property
    def truth(self) -> Path:
        return Path(self.ground_truth)


def origin_tags() -> dict[str, str]:
    """Where an MLflow run comes from: the Dagster run, asset and partition, with links back to the UI ({} outside a run)."""
    try:
        context = dg.AssetExecutionContext.get()
    except dg.DagsterInvariantViolationError:
        return {}
    ui = dagster_ui_url()
    assets = [key.to_user_string() for key in context.selected_asset_keys]
    tags = {f"{ORIGIN_PREFIX}run_id": context.run_id, f"{ORIGIN_PREFIX}asset": ", ".join(assets),
            f"{ORIGIN_PREFIX}run_url": f"{ui}/runs/{context.run_id}"}
    if context.has_partition_key:
        tags[f"{ORIGIN_PREFIX}partition"] = context.partition_key
    elif context.has_partition_key_range:
        keys = context.partition_key_range
        tags[f"{ORIGIN_PREFIX}partition"] = keys.start if keys.start == keys.end else f"{keys.start}..{keys.end}"
    links = [f"[Dagster run {context.run_id[:8]}]({tags[f'{ORIGIN_PREFIX}run_url']})"]
    links += [f"[asset {name}]({ui}/assets/{name})" for name in assets]
    partition = tags.get(f"{ORIGIN_PREFIX}partition")
    tags[DESCRIPTION_TAG] = " · ".join(links) + (f" · partition {partition}" if partition else "")
    return tags


def build_resources() -> dict[str, object]:
    paths = data_paths()
    return {
        "warehouse": DuckDBResource(database=str(paths.warehouse)),
        # dbt through a launcher that dies with the run, so a killed run leaves no dbt holding the warehouse lock.
        "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=str(dbt_launcher(paths.dbt))),
        "mlflow": MLflowResource(
            tracking_uri=sqlite_tracking_uri(paths.mlflow_db), artifact_root=str(paths.artifacts / "mlflow")
        ),
        "models": ModelStoreResource(root=str(paths.models)),
        "reports": ReportsResource(root=str(paths.reports), plots=str(paths.artifacts / "plots"),
                                   ground_truth=str(paths.ground_truth)),
    }
