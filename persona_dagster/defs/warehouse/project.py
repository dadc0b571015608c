"""The dbt project; its manifest is prepared ahead (`make install`: dagster-dbt project prepare-and-package)."""

from __future__ import annotations

from dagster_dbt import DbtProject

from persona_dagster.settings import DBT_PROJECT_DIR

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# Re-parses only under `dagster dev`, so edits to the models show up there; elsewhere the prepared manifest is used.
dbt_project.prepare_if_dev()
