"""Load each landing day whose files changed: new, late, or re-delivered days alike."""

from __future__ import annotations

import dagster as dg

from persona_dagster.defs.automation.landing_changes import changed_days, read_cursor, run_key, write_cursor
from persona_dagster.defs.automation.landing_scan import landed_day_fingerprints, malformed_day_folders
from persona_dagster.defs.automation.settings import sensor_interval_seconds
from persona_dagster.defs.partitions import daily_partitions
from persona_dagster.settings import data_paths

RAW_EVENTS_KEY = dg.AssetKey(["raw", "events"])
FINGERPRINT_TAG = "persona_dagster/landing_fingerprint"

load_landing_day = dg.define_asset_job(
    "load_landing_day",
    selection=dg.AssetSelection.assets(RAW_EVENTS_KEY),
    # One step: a step subprocess would only re-import the code location (torch included) for nothing.
    executor_def=dg.in_process_executor,
    description="Load one day's landing files into raw.events (the landing sensor's target).",
)


@dg.sensor(
    job=load_landing_day,
    minimum_interval_seconds=sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Requests raw/events for every landing day whose files (names, sizes, mtimes) changed since the last tick."""
    seen = read_cursor(context.cursor)
    landing = data_paths().landing
    current = landed_day_fingerprints(landing)
    # Reported on every tick until renamed or removed: such a folder is never loaded.
    malformed = ", ".join(repr(name) for name in malformed_day_folders(landing))
    if malformed:
        context.log.warning(f"landing folders not named dt=YYYY-MM-DD, skipped: {malformed}")
    requests = []
    for day in changed_days(current, seen):
        if not daily_partitions.has_partition_key(day):
            # Not remembered in the cursor: the day is requested once the partitions cover it
            # (today's date moves on; a new start date needs a code location reload).
            context.log.info(f"landing day {day} is outside the daily partitions "
                             f"(from {daily_partitions.start.date()} to today): skipped")
            continue
        fp = current[day]
        requests.append(dg.RunRequest(run_key=run_key(day, fp), partition_key=day, tags={FINGERPRINT_TAG: fp}))
        seen[day] = fp
    if not requests:
        reason = "no landing day changed" + (f"; skipped malformed folders {malformed}" if malformed else "")
        return dg.SensorResult(skip_reason=dg.SkipReason(reason), cursor=write_cursor(seen))
    return dg.SensorResult(run_requests=requests, cursor=write_cursor(seen))
