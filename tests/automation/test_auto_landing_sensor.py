"""The landing and reference sensors against a real landing folder, ticked with build_sensor_context."""

import datetime as dt
import os

import dagster as dg
import pytest

from persona_dagster.defs.automation import landing_sensor as landing_module
from persona_dagster.defs.automation.landing_changes import read_cursor
from persona_dagster.defs.automation.landing_sensor import FINGERPRINT_TAG, landing_sensor
from persona_dagster.defs.automation.reference_sensor import load_reference_inputs, reference_sensor
from persona_dagster.defs.automation.landing_scan import day_fingerprint, reference_fingerprint
from persona_dagster.defs.ingest.assets import LANDING_FINGERPRINTS, REFERENCE_FINGERPRINT, REFERENCE_KEYS
from persona_dagster.landing.writer import write_day
from persona_dagster.settings import DATA_DIR_ENV

DAY1, DAY2, DAY3 = "2026-01-01", "2026-01-02", "2026-01-03"
PARTITIONS = dg.DailyPartitionsDefinition(start_date=DAY1, end_offset=1)


@dg.asset(key=["raw", "events"], partitions_def=PARTITIONS)
def raw_events_stub():
    """Stands in for raw/events with partitions fixed to 2026-01-01..today (run requests are checked against them)."""


@dg.multi_asset(specs=[dg.AssetSpec(key) for key in REFERENCE_KEYS.values()])
def reference_stub():
    """Stands in for the reference tables (no warehouse resource needed to tick a sensor)."""


DEFS = dg.Definitions(
    assets=[raw_events_stub, reference_stub],
    jobs=[landing_module.load_landing_day, load_reference_inputs],
    sensors=[landing_sensor, reference_sensor],
)


@pytest.fixture
def landing(tmp_path, monkeypatch):
    """An empty data directory; partitions fixed to 2026-01-01..today whatever data the repo holds."""
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    monkeypatch.setattr(landing_module, "daily_partitions", PARTITIONS)
    return tmp_path / "landing"


def _land(landing, day, users=("u1",), name="events", fmt="csv"):
    return write_day(landing, day, {
        "user_id": list(users), "ts": [f"{day}T10:00:00Z"] * len(users),
        "service": ["ecs"] * len(users), "page": ["instances"] * len(users),
    }, fmt=fmt, name=name)


class Ticker:
    """Ticks a sensor like the daemon does: the cursor of one tick is the input of the next."""

    def __init__(self, sensor, instance=None):
        self.sensor, self.cursor = sensor, None
        self.instance = instance or dg.DagsterInstance.ephemeral()

    def tick(self):
        context = dg.build_sensor_context(cursor=self.cursor, definitions=DEFS, instance=self.instance)
        data = self.sensor.evaluate_tick(context)
        self.cursor = data.cursor
        return data.run_requests or []


def _days(requests):
    return [r.partition_key for r in requests]


def test_a_new_file_requests_its_day_once(landing):
    ticker = Ticker(landing_sensor)
    assert ticker.tick() == []  # nothing landed
    _land(landing, DAY2)
    [request] = ticker.tick()
    assert request.partition_key == DAY2
    assert request.run_key.startswith(f"{DAY2}:")
    assert request.tags[FINGERPRINT_TAG] == request.run_key.split(":")[1]
    assert ticker.tick() == []  # same files again: nothing
    assert ticker.tick() == []


def test_a_replaced_file_requests_its_day_again_with_a_new_run_key(landing):
    ticker = Ticker(landing_sensor)
    path = _land(landing, DAY1)
    [first] = ticker.tick()
    _land(landing, DAY1, users=("u1", "u2"))  # re-delivered: different size
    [second] = ticker.tick()
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))  # same size, touched
    [third] = ticker.tick()
    assert _days([first, second, third]) == [DAY1] * 3
    assert len({first.run_key, second.run_key, third.run_key}) == 3
    assert ticker.tick() == []


def test_a_second_file_for_a_loaded_day_requests_it_again(landing):
    ticker = Ticker(landing_sensor)
    _land(landing, DAY1)
    ticker.tick()
    _land(landing, DAY1, name="events-late", fmt="jsonl")
    assert _days(ticker.tick()) == [DAY1]


def test_two_days_landing_at_once_request_two_runs(landing):
    ticker = Ticker(landing_sensor)
    _land(landing, DAY1)
    _land(landing, DAY3, fmt="parquet")
    assert _days(ticker.tick()) == [DAY1, DAY3]
    assert ticker.tick() == []


def test_a_late_day_older_than_the_latest_is_requested(landing):
    ticker = Ticker(landing_sensor)
    _land(landing, DAY3)
    assert _days(ticker.tick()) == [DAY3]
    _land(landing, DAY1)  # arrives after a later day was loaded
    assert _days(ticker.tick()) == [DAY1]


def test_bad_names_in_progress_writes_and_foreign_files_are_ignored(landing):
    ticker = Ticker(landing_sensor)
    (landing / "dt=2026-1-2").mkdir(parents=True)
    (landing / "dt=2026-1-2" / "events.csv").write_text("user_id\nu1\n")  # folder name not YYYY-MM-DD
    (landing / "dt=2026-02-30").mkdir()
    (landing / "dt=2026-02-30" / "events.csv").write_text("user_id\nu1\n")  # not a calendar day
    (landing / "misc").mkdir()
    (landing / "misc" / "events.csv").write_text("user_id\nu1\n")
    day = landing / f"dt={DAY2}"
    day.mkdir()
    (day / ".events.csv.tmp").write_text("user_id\nu1\n")  # a writer still at work
    (day / "bad name.csv").write_text("user_id\nu1\n")
    (day / "notes.txt").write_text("hello")
    (day / "sub").mkdir()
    assert ticker.tick() == []
    _land(landing, DAY2)
    first = ticker.tick()
    assert _days(first) == [DAY2]
    (day / "other notes.txt").write_text("more")  # still nothing the loader would read
    assert ticker.tick() == []


def test_an_emptied_or_removed_day_is_not_requested(landing):
    ticker = Ticker(landing_sensor)
    path = _land(landing, DAY1)
    ticker.tick()
    path.unlink()
    assert ticker.tick() == []
    path.parent.rmdir()
    assert ticker.tick() == []


def test_days_outside_the_partitions_are_skipped_with_a_log_line(landing, capfd):
    ticker = Ticker(landing_sensor)
    future = (dt.date.today() + dt.timedelta(days=30)).isoformat()
    _land(landing, "2025-12-31")  # before the first partition
    _land(landing, future)
    _land(landing, DAY2)
    assert _days(ticker.tick()) == [DAY2]
    logged = capfd.readouterr().err  # the sensor's context.log writes to stderr
    assert "2025-12-31 is outside the daily partitions" in logged
    assert f"{future} is outside the daily partitions" in logged
    # Not remembered, so the day is requested once the partitions cover it (a later date, a reload).
    assert set(read_cursor(ticker.cursor)) == {DAY2}
    assert ticker.tick() == []


def test_reference_sensor_loads_reference_files_when_they_change(landing, tmp_path):
    ticker = Ticker(reference_sensor)
    assert ticker.tick() == []  # no reference files, no landed day: nothing to load
    reference = tmp_path / "reference"
    reference.mkdir()
    (reference / "personas.csv").write_text("persona,description\nops,Operator\n")
    [first] = ticker.tick()
    assert first.partition_key is None and first.run_key.startswith("reference:")
    assert ticker.tick() == []
    (reference / "personas.csv").write_text("persona,description\nops,Operator\ndev,Developer\n")
    [second] = ticker.tick()
    assert second.run_key != first.run_key
    assert ticker.tick() == []


def test_reference_sensor_loads_empty_reference_tables_once_days_land_without_files(landing):
    ticker = Ticker(reference_sensor)
    assert ticker.tick() == []
    _land(landing, DAY1)
    assert len(ticker.tick()) == 1  # dbt needs raw.activity_tasks to exist, even empty
    assert ticker.tick() == []


def test_the_first_tick_skips_what_a_run_outside_the_sensor_loaded(landing):
    """`make dev` after `make demo`: days and reference files the demo loaded are not loaded again."""
    _land(landing, DAY1)
    _land(landing, DAY2)
    instance = dg.DagsterInstance.ephemeral()
    loaded = {day: day_fingerprint(landing, dt.date.fromisoformat(day)) for day in (DAY1, DAY2)}
    for day in loaded:  # what raw/events records when make demo loads the two days
        instance.report_runless_asset_event(dg.AssetMaterialization(
            ["raw", "events"], partition=day, metadata={LANDING_FINGERPRINTS: dg.MetadataValue.json(loaded)}))
    for key in REFERENCE_KEYS.values():
        instance.report_runless_asset_event(dg.AssetMaterialization(key, metadata={
            REFERENCE_FINGERPRINT: reference_fingerprint(landing.parent / "reference")}))
    assert Ticker(reference_sensor, instance).tick() == []
    _land(landing, DAY2, users=("u1", "u2"))  # re-delivered after the demo
    assert _days(Ticker(landing_sensor, instance).tick()) == [DAY2]
