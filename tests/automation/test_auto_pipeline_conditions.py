"""Declarative automation on the real asset graph: dbt follows exactly the landed days, late ones too."""

import datetime as dt

import pytest

from tests.automation.automation_ticks import AutomationTicker, noon
from persona_dagster.defs.automation.settings import lookback_days
from persona_dagster.defs.ingest.assets import REFERENCE_KEYS
from persona_dagster.defs.partitions import daily_partitions
from persona_dagster.defs.warehouse.assets import warehouse_models
from persona_dagster.definitions import defs

START = daily_partitions.start.date()
LATEST = START + dt.timedelta(days=5)
NOW = noon(START + dt.timedelta(days=9))
REFERENCE = [k.to_user_string() for k in REFERENCE_KEYS.values()]


def _all_downstream() -> set[str]:
    """Every asset that (transitively) reads raw/events: the dbt models, later day-grained assets."""
    graph = defs.resolve_asset_graph()
    todo = [k for k in graph.get_all_asset_keys() if k.to_user_string() == "raw/events"]
    found = set()
    while todo:
        for child in graph.get(todo.pop()).child_keys:
            if child not in found:
                found.add(child)
                todo.append(child)
    return {k.to_user_string() for k in found}


# The dbt models reading raw/events (model assets added later may be blocked here by missing models).
DBT_DAY_ASSETS = _all_downstream() & {k.to_user_string() for k in warehouse_models.keys}


@pytest.fixture
def ready():
    """Reference inputs loaded and their (daily-partitioned) staging views built; no day landed."""
    ticker = AutomationTicker(defs)
    assert ticker.tick(NOW) == {}
    for key in REFERENCE:
        ticker.materialized(key)
    requested = ticker.tick(NOW)
    # The reference staging views follow the reference tables; nothing reading events does.
    assert "staging/stg_reference__activity_tasks" in requested and not DBT_DAY_ASSETS & set(requested)
    ticker.finish(requested)
    assert ticker.tick(NOW) == {}
    return ticker


def _land(ticker, day):
    ticker.materialized("raw/events", day.isoformat())


def _finish(ticker, requested):
    """The day's runs succeed; unpartitioned tables over day assets (marts over model outputs) follow once."""
    ticker.finish(requested)
    follow = ticker.tick(NOW)
    assert all(partitions == {None} for partitions in follow.values()), follow
    ticker.finish(follow)


def test_the_automated_graph_covers_the_marts():
    assert {"staging/stg_clickstream__events", "marts/session_sequences", "marts/intent_segments"} <= DBT_DAY_ASSETS


def test_nothing_is_requested_before_any_data_lands():
    ticker = AutomationTicker(defs)
    for days in range(4):  # new (missing) day partitions appear each midnight: still nothing to build
        assert ticker.tick(NOW + dt.timedelta(days=days)) == {}


def test_a_landed_day_requests_exactly_that_day_downstream(ready):
    _land(ready, LATEST)
    requested = ready.tick(NOW)
    assert DBT_DAY_ASSETS <= set(requested)
    assert all(partitions == {LATEST.isoformat()} for partitions in requested.values())
    assert ready.tick(NOW) == {}  # requested once, not on every tick
    _finish(ready, requested)
    assert ready.tick(NOW) == {}  # and the finished run's own updates do not re-trigger it


def test_a_late_day_and_a_redelivered_day_are_picked_up(ready):
    _land(ready, LATEST)
    _finish(ready, ready.tick(NOW))
    late = LATEST - dt.timedelta(days=3)
    _land(ready, late)
    requested = ready.tick(NOW)
    assert DBT_DAY_ASSETS <= set(requested)
    assert all(partitions == {late.isoformat()} for partitions in requested.values())
    _finish(ready, requested)
    _land(ready, LATEST)  # the landing sensor re-loaded a re-delivered day
    requested = ready.tick(NOW)
    assert DBT_DAY_ASSETS <= set(requested)
    assert all(partitions == {LATEST.isoformat()} for partitions in requested.values())
    _finish(ready, requested)
    assert ready.tick(NOW) == {}


def test_days_older_than_the_lookback_wait_for_a_backfill():
    later = noon(START + dt.timedelta(days=lookback_days() + 10))
    ticker = AutomationTicker(defs)
    ticker.tick(later)
    for key in REFERENCE:
        ticker.materialized(key)
    ticker.finish(ticker.tick(later))
    too_old = START + dt.timedelta(days=2)
    recent = later.date() - dt.timedelta(days=lookback_days() - 1)  # the oldest day still covered
    _land(ticker, too_old)
    _land(ticker, recent)
    requested = ticker.tick(later)
    assert DBT_DAY_ASSETS <= set(requested)
    assert all(partitions == {recent.isoformat()} for partitions in requested.values())


def test_a_fresh_daemon_after_the_demo_requests_nothing():
    """`make dev` right after `make demo`: every asset materialized for the landed days, nothing to redo."""
    graph = defs.resolve_asset_graph()
    ticker = AutomationTicker(defs)
    days = [(START + dt.timedelta(days=i)).isoformat() for i in range(14)]
    for key in graph.toposorted_asset_keys:
        if key in graph.materializable_asset_keys:
            for day in days if graph.get(key).partitions_def else [None]:
                ticker.materialized(key.to_user_string(), day)
    now = noon(START + dt.timedelta(days=14))
    assert ticker.tick(now) == {}
    assert ticker.tick(now + dt.timedelta(minutes=5)) == {}
