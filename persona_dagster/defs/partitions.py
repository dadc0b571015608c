"""What assets share about where and when they run: the daily partitions, the DuckDB pool, the GPU tag."""

import datetime as dt

import dagster as dg

from persona_dagster.settings import START_DATE_ENV, partitions_start_date

# end_offset=1: today's partition exists, so a day can be processed while its data lands.
daily_partitions = dg.DailyPartitionsDefinition(start_date=partitions_start_date(), end_offset=1)

# A range backfill is one run (one dbt call, one load loop), not one run per day.
single_run_backfill = dg.BackfillPolicy.single_run()

# DuckDB allows one writer process: every writing asset takes this pool (limit 1 in dagster.yaml).
DUCKDB_POOL = "duckdb"

# Assets that train: the ones to schedule on GPU nodes (see deploy/README.md).
GPU_TAGS = {"persona_dagster/gpu": "true"}


def check_day_range(first: dt.date, last: dt.date) -> None:
    """Refuse a day range outside the daily partitions before anything runs, naming the valid range."""
    start = daily_partitions.start.date()
    end = dt.date.fromisoformat(daily_partitions.get_last_partition_key())
    if last < first:
        raise ValueError(f"empty day range {first}..{last}: the last day is before the first")
    if first < start or last > end:
        raise ValueError(f"days {first}..{last} are outside the daily partitions {start}..{end} "
                         f"(the first partition is ${START_DATE_ENV} or the earliest landed day)")
