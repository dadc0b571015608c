"""Pure parts of the landing sensor: fingerprints, the {day: fingerprint} cursor, the changed days."""

import os
import time

import pytest

from persona_dagster.defs.automation.landing_changes import changed_days, read_cursor, run_key, write_cursor
from persona_dagster.defs.automation.schedules import previous_day_key
from persona_dagster.defs.automation.settings import (
    LOOKBACK_DAYS_ENV,
    RETRAIN_CRON_ENV,
    SENSOR_INTERVAL_ENV,
    lookback_days,
    retrain_cron,
    sensor_interval_seconds,
)
from persona_dagster.landing.fingerprint import SMALL_FILE_BYTES, FileStamp, fingerprint, stamp_files

A = FileStamp("a.csv", 10, 1_000)
B = FileStamp("b.parquet", 2_048, 2_000)


def test_fingerprint_ignores_listing_order_but_not_any_stamp_field():
    assert fingerprint([A, B]) == fingerprint([B, A])
    variants = [[A], [A, B], [A._replace(size=11), B], [A._replace(mtime_ns=1_001), B],
                [A._replace(name="c.csv"), B], []]
    assert len({fingerprint(v) for v in variants}) == len(variants)
    assert len(fingerprint([A])) == 16


def test_stamp_files_reads_size_and_mtime_and_skips_vanished_files(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("user_id\nu1\n")
    os.utime(path, ns=(5_000_000_000, 5_000_000_000))
    [stamp] = stamp_files([path, tmp_path / "gone.csv"])
    assert (stamp.name, stamp.size, stamp.mtime_ns) == ("events.csv", 11, 5_000_000_000)


@pytest.mark.parametrize("size", [100, SMALL_FILE_BYTES + 1])
def test_an_edit_that_keeps_size_and_mtime_changes_the_fingerprint(tmp_path, size):
    """Like `rsync -t`: same length, modification time set back; small files by content, any file by ctime."""
    path = tmp_path / "events.csv"
    path.write_bytes(b"a" * size)
    before = path.stat()
    fingerprint_before = fingerprint(stamp_files([path]))
    time.sleep(0.02)  # past the clock tick of the file system's change time
    path.write_bytes(b"b" * size)
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert fingerprint(stamp_files([path])) != fingerprint_before


def test_changed_days_lists_new_late_and_redelivered_days_oldest_first():
    seen = {"2026-01-03": "aaa", "2026-01-04": "bbb"}
    current = {"2026-01-01": "ccc", "2026-01-03": "aaa", "2026-01-04": "ddd", "2026-01-05": "eee"}
    assert changed_days(current, seen) == ["2026-01-01", "2026-01-04", "2026-01-05"]
    assert changed_days(seen, seen) == []
    # A day whose folder disappeared is not "changed": the sensor never wipes a day by itself.
    assert changed_days({}, seen) == []


def test_cursor_round_trips_and_tolerates_garbage():
    seen = {"2026-01-02": "b", "2026-01-01": "a"}
    text = write_cursor(seen)
    assert text == '{"2026-01-01":"a","2026-01-02":"b"}'
    assert read_cursor(text) == seen
    for bad in (None, "", "not json", "[1, 2]"):
        assert read_cursor(bad) == {}


def test_run_key_changes_with_the_content():
    assert run_key("2026-01-01", "aaa") != run_key("2026-01-01", "bbb")
    assert run_key("2026-01-01", "aaa") == "2026-01-01:aaa"


def test_schedule_builds_the_previous_complete_day():
    import datetime as dt

    utc = dt.timezone.utc
    assert previous_day_key(dt.datetime(2026, 3, 5, 0, 30, tzinfo=utc)) == "2026-03-04"
    assert previous_day_key(dt.datetime(2026, 3, 1, 0, 30, tzinfo=utc)) == "2026-02-28"
    # 01:30 in Berlin on Mar 5 is still Mar 4 in UTC.
    berlin = dt.timezone(dt.timedelta(hours=1))
    assert previous_day_key(dt.datetime(2026, 3, 5, 0, 30, tzinfo=berlin)) == "2026-03-03"


def test_settings_come_from_the_environment(monkeypatch):
    for name in (SENSOR_INTERVAL_ENV, LOOKBACK_DAYS_ENV, RETRAIN_CRON_ENV):
        monkeypatch.delenv(name, raising=False)
    assert (sensor_interval_seconds(), lookback_days(), retrain_cron()) == (30, 60, "0 3 * * 1")
    monkeypatch.setenv(SENSOR_INTERVAL_ENV, "5")
    monkeypatch.setenv(LOOKBACK_DAYS_ENV, "7")
    monkeypatch.setenv(RETRAIN_CRON_ENV, "0 4 * * *")
    assert (sensor_interval_seconds(), lookback_days(), retrain_cron()) == (5, 7, "0 4 * * *")
    for bad in ("0", "-3", "soon"):
        monkeypatch.setenv(LOOKBACK_DAYS_ENV, bad)
        with pytest.raises(ValueError, match=LOOKBACK_DAYS_ENV):
            lookback_days()
