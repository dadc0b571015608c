"""MLflow tracking setup: sqlite backend and an explicit artifact location per experiment, all under the data dir."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

# The experiment tag the MLflow 3 UI reads to open an experiment on its training runs, not the GenAI trace view.
EXPERIMENT_KIND_TAG = "mlflow.experimentKind"
TRAINING_RUNS_KIND = "custom_model_development"
# Run tags with this prefix say where a run came from (Dagster run, asset, partition, links); models copy them.
ORIGIN_PREFIX = "dagster."
DESCRIPTION_TAG = "mlflow.note.content"  # a run's description in the MLflow UI (Markdown)


def sqlite_tracking_uri(db_path: Path) -> str:
    return f"sqlite:///{Path(db_path).resolve()}"


def _location(artifact_root: Path, name: str) -> str:
    return (Path(artifact_root) / name.replace("/", "_")).resolve().as_uri()


def init_store(tracking_uri: str, artifact_root: Path) -> None:
    """Create the tracking database with its `Default` experiment under artifact_root (MLflow's default: ./mlruns)."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    if Path(tracking_uri.removeprefix("sqlite:///")).exists():
        return
    SqlAlchemyStore(tracking_uri, _location(artifact_root, "Default"))


def ensure_experiment(client, name: str, artifact_root: Path) -> str:
    """The experiment's id, creating it with artifact_location under artifact_root (MLflow 3 needs it explicit).

    Tagged as a training experiment, so the UI opens on its runs (older experiments get the tag here too).
    """
    experiment = client.get_experiment_by_name(name)
    if experiment is None:
        return client.create_experiment(name, artifact_location=_location(artifact_root, name),
                                        tags={EXPERIMENT_KIND_TAG: TRAINING_RUNS_KIND})
    if experiment.tags.get(EXPERIMENT_KIND_TAG) != TRAINING_RUNS_KIND:
        client.set_experiment_tag(experiment.experiment_id, EXPERIMENT_KIND_TAG, TRAINING_RUNS_KIND)
    return experiment.experiment_id


def data_window(timestamps) -> str:
    """'first..last' day of a column of timestamps: which days a model learned from."""
    return f"{timestamps.min():%Y-%m-%d}..{timestamps.max():%Y-%m-%d}" if len(timestamps) else "no data"


def log_curve(curve, key: str) -> None:
    """Log (step, value) points as an MLflow metric history."""
    import mlflow

    for step, value in curve:
        mlflow.log_metric(key, float(value), step=int(step))


def register_model_dir(model_dir: Path, name: str, description: str, tags: Mapping[str, object] | None = None,
                       artifact_path: str = "model") -> str:
    """Log a model directory as artifacts of the active run and register it; returns the version.

    The version carries `tags` (backbone, data window, ...) and the run's origin tags (Dagster run, asset,
    partition, links back); the registered model carries `description` and the latest origin.
    """
    import mlflow

    client = mlflow.MlflowClient()
    run = client.get_run(mlflow.active_run().info.run_id)
    mlflow.log_artifacts(str(model_dir), artifact_path)
    try:
        client.get_registered_model(name)
    except mlflow.exceptions.MlflowException:
        client.create_registered_model(name)
    origin = {k: v for k, v in run.data.tags.items() if k.startswith(ORIGIN_PREFIX)}
    version_tags = {**origin, **{k: str(v) for k, v in (tags or {}).items()}}
    source = f"{run.info.artifact_uri}/{artifact_path}"
    version = client.create_model_version(name, source=source, run_id=run.info.run_id, tags=version_tags,
                                          description=run.data.tags.get(DESCRIPTION_TAG, "")).version
    client.update_registered_model(name, description=description)
    for key, value in version_tags.items():
        client.set_registered_model_tag(name, key, value)
    return version
