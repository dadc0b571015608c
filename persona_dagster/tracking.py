"""MLflow tracking setup: sqlite backend and an explicit artifact location per experiment."""

from __future__ import annotations

from pathlib import Path


def sqlite_tracking_uri(db_path: Path) -> str:
    return f"sqlite:///{Path(db_path).resolve()}"


def ensure_experiment(client, name: str, artifact_root: Path) -> str:
    """The experiment's id, creating it with artifact_location under artifact_root (MLflow 3 needs it explicit)."""
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    location = (Path(artifact_root) / name.replace("/", "_")).resolve().as_uri()
    return client.create_experiment(name, artifact_location=location)


def log_curve(curve, key: str) -> None:
    """Log (step, value) points as an MLflow metric history."""
    import mlflow

    for step, value in curve:
        mlflow.log_metric(key, float(value), step=int(step))


def register_model_dir(model_dir: Path, name: str, artifact_path: str = "model") -> str:
    """Log a model directory as artifacts of the active run and register it; returns the version."""
    import mlflow

    run = mlflow.active_run()
    mlflow.log_artifacts(str(model_dir), artifact_path)
    client = mlflow.MlflowClient()
    try:
        client.get_registered_model(name)
    except mlflow.exceptions.MlflowException:
        client.create_registered_model(name)
    source = f"{run.info.artifact_uri}/{artifact_path}"
    return client.create_model_version(name, source=source, run_id=run.info.run_id).version
