"""The dbt models as one partitioned multi-asset: a run builds and tests exactly its window."""


import dagster as dg
from dagster_dbt import DbtCliResource, dbt_assets
from dagster_duckdb import DuckDBResource

from persona_dagster.defs.partitions import DUCKDB_POOL, daily_partitions, single_run_backfill
from persona_dagster.defs.warehouse.project import dbt_project
from persona_dagster.defs.warehouse.translator import WarehouseTranslator
from persona_dagster.warehouse.summaries import table_summary
from persona_dagster.warehouse.window import dbt_vars_arg, dbt_vars_for_window


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
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
    events = list(dbt.cli(["build", "--vars", dbt_vars_arg(variables)], context=context).stream())
    with warehouse.get_connection() as con:
        for event in events:
            if isinstance(event, (dg.Output, dg.AssetMaterialization)):
                key = context.asset_key_for_output(event.output_name) if isinstance(event, dg.Output) else event.asset_key
                summary = table_summary(con, key.path, variables["min_date"], variables["max_date"])
                event = event.with_metadata({**(event.metadata or {}), **summary})
            yield event
