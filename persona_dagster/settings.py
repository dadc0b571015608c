"""Where generated state lives: one data directory, overridable by an environment variable."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

DATA_DIR_ENV = "PERSONA_DAGSTER_DATA_DIR"
START_DATE_ENV = "PERSONA_DAGSTER_START_DATE"
DEFAULT_START_DATE = "2026-01-01"
_DAY_DIR = re.compile(r"^dt=\d{4}-\d{2}-\d{2}$")
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
    def dagster_home(self) -> Path:
        return self.root / "dagster_home"


def data_dir() -> Path:
    """The data directory: $PERSONA_DAGSTER_DATA_DIR, else ./data under the repository."""
    return Path(os.environ.get(DATA_DIR_ENV) or REPO_ROOT / "data").resolve()


def data_paths() -> DataPaths:
    return DataPaths(data_dir())


def partitions_start_date() -> str:
    """First daily partition: $PERSONA_DAGSTER_START_DATE, else the earliest landed day, else 2026-01-01.

    Following the landing zone lets imported logs (e.g. 2008) get partitions without a setting.
    """
    if os.environ.get(START_DATE_ENV):
        return os.environ[START_DATE_ENV]
    landing = data_paths().landing
    days = sorted(p.name[3:] for p in landing.glob("dt=*") if _DAY_DIR.match(p.name)) if landing.is_dir() else []
    return days[0] if days else DEFAULT_START_DATE
