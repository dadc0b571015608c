"""The dbt project; its manifest is prepared ahead (`make install`: dagster-dbt project prepare-and-package)."""

from __future__ import annotations

from dagster_dbt import DbtCliResource, DbtProject

from persona_dagster.settings import DBT_PROJECT_DIR
from persona_dagster.warehouse.dbt_process import dbt_executable

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _manifest_is_stale() -> bool:
    """No manifest, or one older than a file of the project."""
    manifest = dbt_project.manifest_path
    if not manifest.exists():
        return True
    sources = [DBT_PROJECT_DIR / "dbt_project.yml", DBT_PROJECT_DIR / "profiles.yml"]
    for folder in ("models", "macros", "tests"):
        sources.extend(p for p in (DBT_PROJECT_DIR / folder).rglob("*") if p.is_file())
    return any(p.stat().st_mtime > manifest.stat().st_mtime for p in sources)


# Under `dagster dev` only (prepare_if_dev's rule), so edits to the models show up there; and only when
# stale, since every run process imports this module again. With this environment's dbt, as
# dagster-dbt's own preparer looks for `dbt` on PATH only.
if dbt_project.preparer.using_dagster_dev() and _manifest_is_stale():
    DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()).cli(
        ["parse", "--quiet"], target_path=dbt_project.target_path).wait()
