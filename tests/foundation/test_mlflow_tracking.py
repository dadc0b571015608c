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


def test_runs_and_models_say_where_they_come_from(tmp_path):
    """Experiments open on training runs; runs and registered models link back to the Dagster run, asset, partition."""
    import dagster as dg
    import mlflow

    from persona_dagster.tracking import EXPERIMENT_KIND_TAG, TRAINING_RUNS_KIND, register_model_dir

    resource = MLflowResource(tracking_uri=sqlite_tracking_uri(tmp_path / "mlflow.db"),
                              artifact_root=str(tmp_path / "artifacts"))
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.txt").write_text("w")

    @dg.asset(partitions_def=dg.StaticPartitionsDefinition(["2026-01-02"]))
    def tiny_model(mlflow_resource: MLflowResource):
        with mlflow_resource.start_run("unit-test", run_name="tiny"):
            register_model_dir(tmp_path / "model", "tiny", "A tiny model.", {"backbone": "none", "data_window": "a..b"})

    result = dg.materialize([tiny_model], partition_key="2026-01-02", resources={"mlflow_resource": resource})
    client = mlflow.MlflowClient(resource.tracking_uri)
    assert client.get_experiment_by_name("unit-test").tags[EXPERIMENT_KIND_TAG] == TRAINING_RUNS_KIND
    assert client.get_experiment("0").artifact_location.startswith((tmp_path / "artifacts").resolve().as_uri())
    model = client.get_registered_model("tiny")
    [version] = client.search_model_versions("name = 'tiny'")
    assert model.description == "A tiny model."
    assert {"backbone": "none", "data_window": "a..b", "dagster.run_id": result.run_id, "dagster.asset": "tiny_model",
            "dagster.partition": "2026-01-02"}.items() <= version.tags.items()
    assert f"/runs/{result.run_id}" in version.description and model.tags["dagster.run_id"] == result.run_id


def test_a_plot_is_short_enough_for_the_ui_to_show_in_place(tmp_path):
    """Dagster renders Markdown in place below 1000 characters: the PNG is linked from the MLflow run, and embedded aside."""
    from persona_dagster.defs.metadata import plot
    from persona_dagster.plots import line_plot

    resource = MLflowResource(tracking_uri=sqlite_tracking_uri(tmp_path / "mlflow.db"),
                              artifact_root=str(tmp_path / "artifacts"))
    png = line_plot({"loss": [(0, 1.0), (1, 0.5)]}, tmp_path / "loss.png", "loss", "step", "loss")
    with resource.start_run("unit-test", run_name="plot") as run:
        entries = plot("loss_curve", png, "loss")
    assert len(entries["loss_curve"].value) < 1000 and run.info.run_id in entries["loss_curve"].value
    assert entries["loss_curve_embedded"].value.startswith("![loss](data:image/png;base64,")
    artifacts = Path(run.info.artifact_uri.removeprefix("file://")) / "plots" / "loss.png"
    assert artifacts.read_bytes() == png.read_bytes()
