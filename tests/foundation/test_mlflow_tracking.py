from pathlib import Path

from persona_dagster.defs.resources import MLflowResource
from persona_dagster.tracking import sqlite_tracking_uri


def test_runs_land_in_sqlite_with_an_explicit_artifact_location_and_are_closed(tmp_path):
    import mlflow

    resource = MLflowResource(tracking_uri=sqlite_tracking_uri(tmp_path / "mlflow.db"),
                              artifact_root=str(tmp_path / "artifacts"))
    with resource.start_run("unit-test", run_name="r1") as run:
        mlflow.log_metric("loss", 0.5)
        mlflow.log_text("hello", "note.txt")
    client = mlflow.MlflowClient(resource.tracking_uri)
    finished = client.get_run(run.info.run_id)
    assert finished.info.status == "FINISHED"
    assert finished.data.metrics["loss"] == 0.5
    experiment = client.get_experiment_by_name("unit-test")
    assert experiment.artifact_location.startswith((tmp_path / "artifacts").resolve().as_uri())
    assert (Path(finished.info.artifact_uri.removeprefix("file://")) / "note.txt").read_text() == "hello"
    assert mlflow.active_run() is None
