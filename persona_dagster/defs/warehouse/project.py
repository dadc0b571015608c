"""The dbt project; its manifest is prepared ahead (`make install`: dagster-dbt project prepare-and-package)."""

from __future__ import annotations

from dagster_dbt import DbtCliResource, DbtProject

from persona_dagster.settings import DBT_PROJECT_DIR
from persona_dagster.warehouse.dbt_process import dbt_executable

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)

# Re-parsed only under `dagster dev` (prepare_if_dev's rule), so edits to the models show up there;
# with this environment's dbt, as dagster-dbt's own preparer looks for `dbt` on PATH only.
if dbt_project.preparer.using_dagster_dev():
    DbtCliResource(project_dir=dbt_project, dbt_executable=dbt_executable()).cli(
        ["parse", "--quiet"], target_path=dbt_project.target_path).wait()
