"""Reload the reference inputs (activity->task map, personas) when their files change."""

from __future__ import annotations

import dagster as dg

from persona_dagster.defs.automation.landing_scan import landed_day_fingerprints, reference_fingerprint
from persona_dagster.defs.automation.settings import sensor_interval_seconds
from persona_dagster.defs.ingest.assets import REFERENCE_FINGERPRINT, REFERENCE_KEYS
from persona_dagster.settings import data_paths
from persona_dagster.warehouse.reference_load import REFERENCE_FILES

load_reference_inputs = dg.define_asset_job(
    "load_reference_inputs",
    selection=dg.AssetSelection.assets(*REFERENCE_KEYS.values()),
    # One step: a step subprocess would only re-import the code location (torch included) for nothing.
    executor_def=dg.in_process_executor,
    description="Load <data dir>/reference/*.csv into raw.* (the reference sensor's target).",
)


def last_loaded_reference(instance: dg.DagsterInstance) -> str | None:
    """The reference fingerprint the latest reference load recorded (None before any)."""
    key = next(iter(REFERENCE_KEYS.values()))
    event = instance.get_latest_materialization_event(key)
    value = event and event.asset_materialization.metadata.get(REFERENCE_FINGERPRINT)
    return value.value if value else None


@dg.sensor(
    job=load_reference_inputs,
    minimum_interval_seconds=sensor_interval_seconds(),
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def reference_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    """Requests the raw reference tables when reference/*.csv change (or once, empty, when days land without any)."""
    paths = data_paths()
    fp = reference_fingerprint(paths.reference)
    # First tick: the files a run outside this sensor (make demo, the CLI) loaded count as seen.
    if fp == (context.cursor or last_loaded_reference(context.instance)):
        return dg.SkipReason("reference files unchanged")
    has_files = any((paths.reference / name).is_file() for name in REFERENCE_FILES)
    if not has_files and not landed_day_fingerprints(paths.landing):
        # Nothing to load yet; real logs come without reference files, so once days land the
        # empty tables are loaded anyway (dbt needs them to exist).
        return dg.SkipReason("no reference files and no landed day yet")
    return dg.SensorResult(run_requests=[dg.RunRequest(run_key=f"reference:{fp}")], cursor=fp)
