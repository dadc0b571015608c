import dagster as dg

from persona_dagster.defs.automation.automation_sensor import automation_sensor
from persona_dagster.defs.automation.landing_sensor import landing_sensor, load_landing_day
from persona_dagster.defs.automation.reference_sensor import load_reference_inputs, reference_sensor
from persona_dagster.defs.automation.schedules import daily_partitioned_assets, daily_pipeline_schedule

defs = dg.Definitions(
    jobs=[load_landing_day, load_reference_inputs, daily_partitioned_assets],
    sensors=[landing_sensor, reference_sensor, automation_sensor],
    schedules=[daily_pipeline_schedule],
)
