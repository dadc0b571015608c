"""The dbt project, with its manifest prepared outside `dagster dev` too."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from persona_dagster.settings import DATA_DIR_ENV, DBT_PROJECT_DIR, data_dir

# dbt runs as a subprocess and finds the warehouse through this variable.
os.environ.setdefault(DATA_DIR_ENV, str(data_dir()))
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
# The dbt executable sits beside this interpreter; find it even when the venv is not activated.
_bin = str(Path(sys.executable).parent)
if _bin not in os.environ.get("PATH", "").split(os.pathsep):
    os.environ["PATH"] = _bin + os.pathsep + os.environ.get("PATH", "")

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_stale() -> bool:
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    built = manifest.stat().st_mtime
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests"):
        sources.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return any(p.stat().st_mtime > built for p in sources)


# prepare_if_dev() only acts under `dagster dev`; tests, the CLI and CI need a manifest too,
# so parse whenever the manifest is missing or older than the project's files.
if _manifest_is_stale():
    dbt_project.preparer.prepare(dbt_project)
