"""The conditions the model assets get: day-grained outputs follow each day, heavy models retrain weekly."""

import datetime as dt

import dagster as dg

from tests.automation.automation_ticks import AutomationTicker
from persona_dagster.defs.automation.conditions import daily_condition, retrain_condition, whole_table_condition

WEEKLY = "0 3 * * 1"  # Mondays 03:00 UTC
DAYS = dg.DailyPartitionsDefinition(start_date="2026-01-01", end_offset=1)
MONDAY = dt.date(2026, 3, 2)


@dg.asset(partitions_def=DAYS)
def day_events():
    """Stands in for a day-partitioned mart."""


@dg.asset
def persona_definitions():
    """Stands in for a reference input that changes a few times a year."""


@dg.asset(deps=[day_events, persona_definitions], automation_condition=retrain_condition(WEEKLY))
def heavy_model():
    """Stands in for SessionBERT / the persona policy: unpartitioned, reads every day."""


@dg.asset(deps=[day_events], partitions_def=DAYS, automation_condition=daily_condition())
def day_scores():
    """Stands in for a day-grained model output (embeddings of the day's sessions)."""


@dg.asset(deps=[day_events, persona_definitions], automation_condition=dg.AutomationCondition.on_cron(WEEKLY))
def stock_on_cron_model():
    """The stock on_cron(), for contrast: it waits for ALL deps to update after the tick."""


@dg.asset(deps=[day_scores], automation_condition=whole_table_condition())
def scores_mart():
    """Stands in for an unpartitioned dbt mart over a day-partitioned model output."""


@dg.asset(deps=[day_scores], automation_condition=dg.AutomationCondition.eager())
def eager_scores_mart():
    """The stock eager(), for contrast: it waits for every upstream day, and some never exist."""


ASSETS = [day_events, persona_definitions, heavy_model, day_scores, stock_on_cron_model, scores_mart,
          eager_scores_mart]


def _at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.timezone.utc)


def test_heavy_model_retrains_once_per_cron_tick_not_on_every_day():
    ticker = AutomationTicker(ASSETS)
    ticker.materialized("persona_definitions")
    ticker.tick(_at(MONDAY - dt.timedelta(days=8), 12))
    fired = []
    # Three weeks of days landing at 06:00 and ticks every 6 hours, like a running sensor.
    for offset in range(-7, 14):
        day = MONDAY + dt.timedelta(days=offset)
        for hour in (0, 6, 12, 18):
            if hour == 6:
                ticker.materialized("day_events", day.isoformat())
            requested = ticker.tick(_at(day, hour))
            if "heavy_model" in requested:
                fired.append(_at(day, hour))
                ticker.finish({"heavy_model": {None}})
    # Only after each Monday 03:00 tick, at the first evaluation with new data after it (06:00).
    assert fired == [_at(MONDAY - dt.timedelta(days=7), 6), _at(MONDAY, 6), _at(MONDAY + dt.timedelta(days=7), 6)]


def test_heavy_model_waits_after_the_tick_until_new_data_lands():
    ticker = AutomationTicker(ASSETS)
    ticker.materialized("persona_definitions")
    ticker.materialized("day_events", (MONDAY - dt.timedelta(days=1)).isoformat())  # Sunday's data
    ticker.tick(_at(MONDAY, 0))
    assert "heavy_model" not in ticker.tick(_at(MONDAY, 4))  # tick passed, nothing new since
    assert "heavy_model" not in ticker.tick(_at(MONDAY, 12))
    ticker.materialized("day_events", MONDAY.isoformat())
    assert ticker.tick(_at(MONDAY, 18))["heavy_model"] == {None}
    assert "heavy_model" not in ticker.tick(_at(MONDAY, 20))


def test_stock_on_cron_would_never_retrain_while_a_reference_input_stays_unchanged():
    ticker = AutomationTicker(ASSETS)
    ticker.materialized("persona_definitions")
    ticker.tick(_at(MONDAY, 0))
    ticker.materialized("day_events", MONDAY.isoformat())
    requested = ticker.tick(_at(MONDAY, 6))
    assert "heavy_model" in requested and "stock_on_cron_model" not in requested


def test_day_grained_outputs_follow_each_landed_day_including_late_ones():
    ticker = AutomationTicker(ASSETS)
    ticker.tick(_at(MONDAY, 0))
    for offset in range(3):
        day = MONDAY + dt.timedelta(days=offset)
        ticker.materialized("day_events", day.isoformat())
        assert ticker.tick(_at(day, 12)).get("day_scores") == {day.isoformat()}
    late = MONDAY - dt.timedelta(days=20)
    ticker.materialized("day_events", late.isoformat())
    assert ticker.tick(_at(MONDAY + dt.timedelta(days=2), 18)).get("day_scores") == {late.isoformat()}


def test_whole_table_marts_follow_each_upstream_day_despite_days_that_never_land():
    ticker = AutomationTicker(ASSETS)
    assert "scores_mart" not in ticker.tick(_at(MONDAY, 0))  # its inputs do not exist yet
    for offset in range(3):
        day = MONDAY + dt.timedelta(days=offset)
        ticker.materialized("day_scores", day.isoformat())
        requested = ticker.tick(_at(day, 12))
        assert requested.get("scores_mart") == {None}
        assert "eager_scores_mart" not in requested  # days before MONDAY are missing: blocked forever
        ticker.finish({"scores_mart": {None}})
        assert "scores_mart" not in ticker.tick(_at(day, 13))
