"""Load each landing day whose files changed: new, late, or re-delivered days alike."""

from __future__ import annotations

from collections.abc import Iterable

import dagster as dg

from persona_dagster.defs.automation.landing_changes import changed_days, read_cursor, run_key, write_cursor
from persona_dagster.defs.automation.landing_scan import landed_day_fingerprints, malformed_day_folders
from persona_dagster.defs.automation.settings import sensor_interval_seconds
from persona_dagster.defs.ingest.assets import LANDING_FINGERPRINTS
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


def loaded_fingerprints(instance: dg.DagsterInstance, days: Iterable[str]) -> dict[str, str]:
    """{day: fingerprint} of the files each day's latest raw/events load read (days never loaded left out)."""
    wanted, found, cursor = set(days), {}, None
    while wanted - found.keys():
        page = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=RAW_EVENTS_KEY, asset_partitions=sorted(wanted)), limit=500, cursor=cursor
        )
        for record in page.records:  # newest first: a day's latest load wins
            value = record.asset_materialization.metadata.get(LANDING_FINGERPRINTS)
            day = record.partition_key
            if value and day in wanted and day not in found and value.value.get(day):
                found[day] = value.value[day]
        if not page.has_more:
            break
        cursor = page.cursor
    return found


@dg.sensor(
    job=load_landing_day,
    minimum_interval_seconds=sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def landing_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult:
    """Requests raw/events for every landing day whose files (names, sizes, mtimes) changed since the last tick."""
    landing = data_paths().landing
    current = landed_day_fingerprints(landing)
    # First tick: the days a run outside this sensor (make demo, the CLI) loaded count as seen.
    fresh = not context.cursor and current
    seen = loaded_fingerprints(context.instance, current) if fresh else read_cursor(context.cursor)
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
