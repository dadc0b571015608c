"""The dbt models as one partitioned multi-asset: a run builds and tests exactly its window."""

import datetime as dt

import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from persona_dagster.defs.partitions import DUCKDB_POOL, daily_partitions, single_run_backfill
from persona_dagster.defs.warehouse.project import dbt_project
from persona_dagster.defs.warehouse.translator import WarehouseTranslator
from persona_dagster.settings import DATA_DIR_ENV, data_paths
from persona_dagster.warehouse.dbt_process import (
    environment, keep_partial_parse, prune_runs, run_target, seed_partial_parse, window_env,
)
from persona_dagster.warehouse.publish import CATALOG, publish
from persona_dagster.warehouse.summaries import table_summary
from persona_dagster.warehouse.window import days_in_window, dbt_vars_for_window


# Marts over model outputs (schema ml) are built after the models, not with each day's partition.
ML_MARTS = "tag:ml_mart"
_ALL_DAYS = ("1900-01-01", "2999-01-01")  # the window of whole-table models


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    exclude=ML_MARTS,
    dagster_dbt_translator=WarehouseTranslator(),
    partitions_def=daily_partitions,
    backfill_policy=single_run_backfill,
    pool=DUCKDB_POOL,
)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource):
    """dbt build (models + tests) of the partition window; tests surface as asset checks."""
    window = context.partition_time_window
    variables = dbt_vars_for_window(window.start, window.end)
    # Buffer dbt's events: the dbt process holds the DuckDB write lock until it exits, so
    # row counts are read afterwards and attached to each model's materialization.
    # --exclude again: indirect selection would otherwise pull in ml_mart tests whose parents
    # include a daily model (they need marts built only after the models).
    args = ["build", "--exclude", ML_MARTS]
    yield from _build_and_publish(args, context, dbt, warehouse, variables)


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    select=ML_MARTS,
    dagster_dbt_translator=WarehouseTranslator(),
    pool=DUCKDB_POOL,
)
def ml_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: DuckDBResource):
    """Public marts over the model outputs (user personas, service recommendations), with their dbt tests."""
    yield from _build_and_publish(["build"], context, dbt, warehouse, None)


def _build_and_publish(args: list[str], context: dg.AssetExecutionContext, dbt: DbtCliResource,
                       warehouse: DuckDBResource, variables: dict | None):
    """dbt `args` over the window `variables` (None: every day), target and logs under the data directory,
    then the public marts published for readers."""
    paths = data_paths()
    # One folder per invocation (dbt artifacts, dbt.log); the latest is kept for debugging.
    target = run_target(paths.dbt, f"{context.op_execution_context.op.name}-{context.run.run_id[:8]}")
    # Each invocation starts from the last run's parse state (or the prepared project's): partial parsing.
    seed_partial_parse(target, paths.dbt, dbt_project.project_dir / dbt_project.target_path)
    env = {DATA_DIR_ENV: str(paths.root), **(window_env(variables) if variables else {})}
    try:
        with environment(env):
            invocation = dbt.cli(args, context=context, target_path=target)
        yield from _with_row_counts(invocation, context, warehouse, variables)
        keep_partial_parse(target, paths.dbt)
    finally:
        prune_runs(paths.dbt, keep=target)
    # Only after a successful build (a failed one raised above): readers never see a half-built day.
    with warehouse.get_connection() as con:
        snapshot = publish(con, paths.published)
    context.log.info(f"published the public marts to {snapshot} (catalog {paths.published / CATALOG})")


def _with_row_counts(invocation, context: dg.AssetExecutionContext, warehouse: DuckDBResource, variables: dict | None):
    """Pass dbt's events through with row counts attached to each model's materialization, per partition."""
    events = list(invocation.stream())
    with warehouse.get_connection() as con:
        for event in events:
            if isinstance(event, (dg.Output, dg.AssetMaterialization)):
                key = context.asset_key_for_output(event.output_name) if isinstance(event, dg.Output) else event.asset_key
                if variables is None:
                    event = event.with_metadata({**(event.metadata or {}), **table_summary(con, key.path, *_ALL_DAYS)})
                else:
                    # A range run materializes each of its days: each gets the figures of its own day.
                    for day in days_in_window(*map(dt.date.fromisoformat, (variables["min_date"], variables["max_date"]))):
                        summary = table_summary(con, key.path, day.isoformat(), (day + dt.timedelta(days=1)).isoformat())
                        context.add_asset_metadata(summary, asset_key=key, partition_key=day.isoformat())
            yield event
