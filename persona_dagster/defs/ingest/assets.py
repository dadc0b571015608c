"""Raw assets: landing files -> raw.events (per day), reference CSVs -> raw.* tables."""


import dagster as dg
from dagster_duckdb import DuckDBResource

from persona_dagster.defs.automation.landing_scan import day_fingerprint, reference_fingerprint
from persona_dagster.defs.metadata import table as markdown_table
from persona_dagster.defs.partitions import DUCKDB_POOL, daily_partitions, single_run_backfill
from persona_dagster.settings import data_paths
from persona_dagster.warehouse.raw_load import load_day
from persona_dagster.warehouse.reference_load import REFERENCE_FILES, load_reference
from persona_dagster.warehouse.summaries import query_rows
from persona_dagster.warehouse.window import days_in_window

# Metadata keys the sensors seed an empty cursor from (a first `make dev` after `make demo` loads nothing again).
LANDING_FINGERPRINTS = "landing_fingerprints"
REFERENCE_FINGERPRINT = "reference_fingerprint"
REFERENCE_KEYS = {table: dg.AssetKey(table.split(".")) for table, _ in REFERENCE_FILES.values()}


@dg.asset(
    key=["raw", "events"],
    group_name="raw",
    kinds={"duckdb", "python"},
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    pool=DUCKDB_POOL,
    check_specs=[dg.AssetCheckSpec("every_landing_file_readable", asset=["raw", "events"])],
)
def raw_events(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
    """Every record of the day's landing files, as strings; re-loading a day replaces it."""
    window = context.partition_time_window
    landing = data_paths().landing
    loads, fingerprints = [], {}
    with warehouse.get_connection() as con:
        for day in days_in_window(window.start, window.end):
            # Stamped before reading: a file rewritten during the load changes it, and the sensor reloads the day.
            fingerprints[day.isoformat()] = day_fingerprint(landing, day)
            loads.append(load_day(con, landing, day))
        sample = query_rows(
            con,
            "select event_date, source_file, source_row, user_id, ts, service, page from raw.events "
            "where event_date >= ? and event_date < ? order by event_date, source_file, source_row limit 5",
            [window.start.date(), window.end.date()],
        )
    file_errors = {f: e for load in loads for f, e in load.file_errors.items()}
    for path, error in file_errors.items():
        context.log.warning(f"landing file {path} was not loaded: {error}")
    rows_by_file = {f: n for load in loads for f, n in load.rows_by_file.items()}
    yield dg.MaterializeResult(
        metadata={
            "rows_in_window": dg.MetadataValue.int(sum(rows_by_file.values())),
            "files": dg.MetadataValue.int(len(rows_by_file)),
            "rows_by_file": dg.MetadataValue.json(rows_by_file),
            "unreadable_files": dg.MetadataValue.json(file_errors),
            "sample": markdown_table(sample),
            # What the landing sensor would have seen: its first tick starts from here (see landing_sensor).
            LANDING_FINGERPRINTS: dg.MetadataValue.json(fingerprints),
        }
    )
    yield dg.AssetCheckResult(
        check_name="every_landing_file_readable",
        passed=not file_errors,
        severity=dg.AssetCheckSeverity.WARN,
        description=(f"{len(file_errors)} of {len(file_errors) + len(rows_by_file)} landing files unreadable"
                     if file_errors else f"all {len(rows_by_file)} landing files read"),
        metadata={"unreadable_files": dg.MetadataValue.json(file_errors), "files_read": len(rows_by_file),
                  "rows_read": sum(rows_by_file.values())},
    )


@dg.multi_asset(
    specs=[dg.AssetSpec(key, group_name="raw", kinds={"duckdb", "python"}) for key in REFERENCE_KEYS.values()],
    pool=DUCKDB_POOL,
)
def reference_tables(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
    """The activity->task map and persona definitions from <data dir>/reference/*.csv."""
    reference = data_paths().reference
    fp = reference_fingerprint(reference)
    with warehouse.get_connection() as con:
        counts = load_reference(con, reference)
    for table, rows in counts.items():
        if rows == 0:
            context.log.warning(f"{table} is empty: intents fall back to services, personas cannot be mapped")
        yield dg.MaterializeResult(asset_key=REFERENCE_KEYS[table], metadata={
            "rows": dg.MetadataValue.int(rows),
            # What the reference sensor would have seen: its first tick starts from here (see reference_sensor).
            REFERENCE_FINGERPRINT: dg.MetadataValue.text(fp),
        })
