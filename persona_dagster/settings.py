"""Where generated state lives: one data directory, overridable by an environment variable."""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "PERSONA_DAGSTER_DATA_DIR"
START_DATE_ENV = "PERSONA_DAGSTER_START_DATE"
DEFAULT_START_DATE = "2026-01-01"
# Where links back to the Dagster UI point (MLflow runs and models): `make dev` serves it here.
DAGSTER_UI_URL_ENV = "PERSONA_DAGSTER_UI_URL"
DEFAULT_DAGSTER_UI_URL = "http://127.0.0.1:3000"
# Where plots in Dagster metadata are served from (the MLflow run's artifacts): `make mlflow-ui`.
MLFLOW_UI_URL_ENV = "PERSONA_DAGSTER_MLFLOW_UI_URL"
DEFAULT_MLFLOW_UI_URL = "http://127.0.0.1:5000"
REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt_project"


@dataclass(frozen=True)
class DataPaths:
    """The layout of the data directory; every path the pipeline writes is derived here."""

    root: Path

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    @property
    def reference(self) -> Path:
        return self.root / "reference"

    @property
    def ground_truth(self) -> Path:
        return self.root / "ground_truth"

    @property
    def rejects(self) -> Path:
        return self.root / "rejects"

    @property
    def warehouse(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def mlflow_db(self) -> Path:
        return self.root / "mlflow.db"

    @property
    def artifacts(self) -> Path:
        return self.root / "artifacts"

    @property
    def models(self) -> Path:
        return self.root / "models"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def logs(self) -> Path:
        """Full logs of `make demo` runs (the terminal shows one line per step)."""
        return self.root / "logs"

    @property
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"

    @property
    def dbt(self) -> Path:
        """dbt's per-invocation target and log folders (the latest kept) and its launcher."""
        return self.root / "dbt"

    @property
    def published(self) -> Path:
        """Parquet snapshots of the public marts and the read-only catalog over the current one."""
        return self.root / "published"


def data_dir() -> Path:
    """The data directory: $PERSONA_DAGSTER_DATA_DIR, else ./data under the repository."""
    return Path(os.environ.get(DATA_DIR_ENV) or REPO_ROOT / "data").resolve()


def data_paths() -> DataPaths:
    return DataPaths(data_dir())


def dagster_ui_url() -> str:
    """The Dagster UI links point at: $PERSONA_DAGSTER_UI_URL, else `make dev`'s address."""
    return (os.environ.get(DAGSTER_UI_URL_ENV) or DEFAULT_DAGSTER_UI_URL).rstrip("/")


def mlflow_ui_url() -> str:
    """The MLflow UI plots are served from: $PERSONA_DAGSTER_MLFLOW_UI_URL, else `make mlflow-ui`'s address."""
    return (os.environ.get(MLFLOW_UI_URL_ENV) or DEFAULT_MLFLOW_UI_URL).rstrip("/")


def partitions_start_date() -> str:
    """First daily partition: $PERSONA_DAGSTER_START_DATE, else the earliest landed day, else 2026-01-01.

    Following the landing zone lets imported logs (e.g. 2008) get partitions without a setting.
    Folders whose name is not a calendar day (dt=0000-00-00) are skipped here; the landing sensor reports them.
    """
    from persona_dagster.landing.paths import LandingPathError, day_folders, validate_date

    if os.environ.get(START_DATE_ENV):
        try:
            return validate_date(os.environ[START_DATE_ENV]).isoformat()
        except LandingPathError as exc:
            raise LandingPathError(f"${START_DATE_ENV}: {exc}") from None
    days, _malformed = day_folders(data_paths().landing)
    return min(days).isoformat() if days else DEFAULT_START_DATE


def generated_start_date(days: int) -> str:
    """First day of generated data: $PERSONA_DAGSTER_START_DATE, else `days` days ending yesterday.

    Data ending yesterday lines up with today's partitions, automation windows and look-back, as production would.
    """
    if os.environ.get(START_DATE_ENV):
        return partitions_start_date()
    return (dt.date.today() - dt.timedelta(days=days)).isoformat()
