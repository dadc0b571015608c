"""Asset metadata helpers: plots embedded in Markdown, metric tables."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from pathlib import Path
from urllib.parse import quote

import dagster as dg

from persona_dagster.settings import mlflow_ui_url


def image(png: Path, caption: str = "") -> dg.MetadataValue:
    """A PNG shown inline in the Dagster UI (a data URI inside Markdown)."""
    data = base64.b64encode(Path(png).read_bytes()).decode()
    return dg.MetadataValue.md(f"![{caption}](data:image/png;base64,{data})")


def plot(key: str, png: Path, caption: str) -> dict[str, dg.MetadataValue]:
    """A plot under `key`, shown in place where the Dagster UI lists the metadata, and under `key`_embedded.

    Dagster renders Markdown in place only below 1000 characters, so `key` links the PNG logged to this
    step's MLflow run (served by `make mlflow-ui`); `key`_embedded carries it as a data URI (behind
    "[Show Markdown]", no server needed). Outside an MLflow run only the embedded one is given.
    """
    import mlflow

    run = mlflow.last_active_run()
    if run is None:
        return {key: image(png, caption)}
    mlflow.MlflowClient().log_artifact(run.info.run_id, str(png), "plots")
    url = f"{mlflow_ui_url()}/get-artifact?path=plots/{quote(Path(png).name)}&run_uuid={run.info.run_id}"
    return {key: dg.MetadataValue.md(f"![{caption}]({url})"), f"{key}_embedded": image(png, caption)}


def table(rows: Sequence[Mapping[str, object]], digits: int = 3) -> dg.MetadataValue:
    """Rows of dicts as a Markdown table (floats rounded)."""
    if not rows:
        return dg.MetadataValue.md("(no rows)")
    columns = list(dict.fromkeys(k for row in rows for k in row))

    def cell(value: object) -> str:
        return f"{value:.{digits}f}" if isinstance(value, float) else ("" if value is None else str(value))

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(cell(row.get(c)) for c in columns) + " |" for row in rows]
    return dg.MetadataValue.md("\n".join(lines))
