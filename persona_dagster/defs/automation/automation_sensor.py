"""The sensor that evaluates every asset's automation condition, running from the start."""

import dagster as dg

from persona_dagster.defs.automation.settings import sensor_interval_seconds

# Declared because the implicit default sensor starts STOPPED: nothing would follow a landed day.
automation_sensor = dg.AutomationConditionSensorDefinition(
    "persona_automation",
    target=dg.AssetSelection.all(),
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=sensor_interval_seconds(),
    description="Evaluates automation conditions: dbt and day-grained assets follow landed days; "
                "heavy models retrain on their cron.",
)
