"""A plain daily schedule for every day-partitioned asset: the alternative to sensors, off by default."""

from __future__ import annotations

import datetime as dt

import dagster as dg

# Every time-partitioned asset (raw/events, the dbt models, day-grained model outputs added later);
# unpartitioned models stay out so they do not retrain every day.
daily_partitioned_assets = dg.define_asset_job(
    "daily_partitioned_assets",
    selection=dg.AssetSelection.from_string('partitions:"time"'),
    description="Every day-partitioned asset for one day: landing load, dbt build, day-grained outputs.",
)


def previous_day_key(scheduled_time: dt.datetime) -> str:
    """The last complete UTC day before a tick (the partition to build)."""
    utc = scheduled_time.astimezone(dt.timezone.utc) if scheduled_time.tzinfo else scheduled_time
    return (utc.date() - dt.timedelta(days=1)).isoformat()


# Not build_schedule_from_partitioned_job: the partitions end at today (end_offset=1, so a day can be
# processed while it lands), and that helper would build today's partition, a few minutes old.
@dg.schedule(
    job=daily_partitioned_assets,
    cron_schedule="30 0 * * *",
    execution_timezone="UTC",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def daily_pipeline_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """At 00:30 UTC, builds yesterday's partition of every day-partitioned asset (switch on instead of the sensors)."""
    day = previous_day_key(context.scheduled_execution_time)
    return dg.RunRequest(run_key=day, partition_key=day)
