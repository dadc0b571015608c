"""Resources: the DuckDB warehouse, the dbt CLI, MLflow tracking."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import dagster as dg
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource

from persona_dagster.defs.warehouse.project import dbt_project
from persona_dagster.settings import data_paths
from persona_dagster.tracking import ensure_experiment, sqlite_tracking_uri
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
        experiment_id = ensure_experiment(mlflow.MlflowClient(self.tracking_uri), experiment, self.artifact_root)
        with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=tags or {}) as run:
            yield run


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
