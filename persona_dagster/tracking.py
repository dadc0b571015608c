"""MLflow tracking setup: sqlite backend and an explicit artifact location per experiment."""

from __future__ import annotations

import os
from pathlib import Path

# Tests and offline machines: no telemetry, no hub.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


def sqlite_tracking_uri(db_path: Path) -> str:
    return f"sqlite:///{Path(db_path).resolve()}"


def ensure_experiment(client, name: str, artifact_root: Path) -> str:
    """The experiment's id, creating it with artifact_location under artifact_root (MLflow 3 needs it explicit)."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    location = (Path(artifact_root) / name.replace("/", "_")).resolve().as_uri()
    return client.create_experiment(name, artifact_location=location)
