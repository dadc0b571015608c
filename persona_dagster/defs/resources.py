"""Resources: the DuckDB warehouse, the dbt CLI, MLflow tracking."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from persona_dagster.defs.warehouse.project import dbt_project
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
    }
