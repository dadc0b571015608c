"""The daily partitioning shared by every day-grained asset."""

import dagster as dg

from persona_dagster.settings import partitions_start_date

# end_offset=1: today's partition exists, so a day can be processed while its data lands.
daily_partitions = dg.DailyPartitionsDefinition(start_date=partitions_start_date(), end_offset=1)

# A range backfill is one run (one dbt call, one load loop), not one run per day.
single_run_backfill = dg.BackfillPolicy.single_run()

# DuckDB allows one writer process: every writing asset takes this pool (limit 1 in dagster.yaml).
DUCKDB_POOL = "duckdb"
