"""Automation conditions: day-grained assets follow their upstream days; heavy models retrain on a cron.

Attach them to assets:
    @dg.asset(partitions_def=daily_partitions, automation_condition=daily_condition())
    @dg.asset(automation_condition=retrain_condition())   # tokenizer, SessionBERT, persona policy
    @dg.asset(automation_condition=whole_table_condition())  # cheap unpartitioned tables over days
"""

from __future__ import annotations

import datetime as dt

import dagster as dg

from persona_dagster.defs.automation.settings import lookback_days, retrain_cron

AC = dg.AutomationCondition


def daily_condition(days: int | None = None) -> dg.AutomationCondition:
    """eager(), widened from the latest day to the last `days` days, so late and re-delivered days recompute.

    eager() itself only considers the latest time window: a day landing late would be loaded by the
    landing sensor but never reach dbt. Days older than the lookback need a backfill by hand.
    """
    days = days or lookback_days()
    return AC.eager().replace(
        "in_latest_time_window", AC.in_latest_time_window(lookback_delta=dt.timedelta(days=days))
    ).with_label(f"eager_within_{days}_days")


def retrain_condition(cron_schedule: str | None = None, cron_timezone: str = "UTC") -> dg.AutomationCondition:
    """Once per cron tick, after any upstream has new data since that tick; never once per landed day.

    Unlike AutomationCondition.on_cron(), it waits for ANY dependency to update, not all of them:
    a model also reads reference inputs that change a few times a year, which would hold on_cron()
    back forever. Nor does it wait for missing upstream days: an unpartitioned model depends on
    every daily partition, and some are always missing (today's, days nothing landed on).
    """
    cron = cron_schedule or retrain_cron()
    tick = AC.cron_tick_passed(cron, cron_timezone)
    updated_since_tick = AC.any_deps_match(
        AC.newly_updated().since(tick) | AC.will_be_requested()
    ).with_label(f"any_deps_updated_since_cron({cron})")
    return (
        AC.in_latest_time_window()
        & tick.since_last_handled()
        & updated_since_tick
        # A day's dbt build in flight: train on the finished day at the next tick, not on half of it.
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
    ).with_label(f"retrain_on_cron({cron}, {cron_timezone})")


def whole_table_condition() -> dg.AutomationCondition:
    """A cheap unpartitioned table over day-partitioned inputs: rebuilt after any upstream update.

    eager() would never fire here: it waits until no upstream partition is missing, and some days
    always are (today's, days nothing landed on). Not on a missing table alone either: its inputs
    may not exist yet, the first upstream update builds it.
    """
    return (
        AC.any_deps_updated().since_last_handled()
        & ~AC.any_deps_in_progress()
        & ~AC.in_progress()
    ).with_label("after_any_upstream_update")
