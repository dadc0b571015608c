"""Asset keys of the dbt reference models that Python assets read directly (declared as their deps)."""

import dagster as dg

ACTIVITY_TASKS = dg.AssetKey(["staging", "stg_reference__activity_tasks"])
PERSONA_TASKS = dg.AssetKey(["staging", "stg_reference__persona_tasks"])
TASK_REFERENCE = [ACTIVITY_TASKS, PERSONA_TASKS]  # what read_catalogue and persona_map read
