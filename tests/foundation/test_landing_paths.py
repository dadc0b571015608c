import datetime as dt

import pytest

from persona_dagster.landing.paths import LandingPathError, day_dir, landing_file, validate_date, validate_file_name


def test_valid_partition_date_parses():
    assert validate_date("2026-01-31") == dt.date(2026, 1, 31)


@pytest.mark.parametrize(
    "value",
    ["2026-02-30", "2026-1-01", "2026-01-01'; drop table raw.events; --", "../2026-01-01", "", "20260101", None],
)
def test_bad_partition_dates_are_refused(value):
    with pytest.raises(LandingPathError):
        validate_date(value)


@pytest.mark.parametrize("name", ["events.parquet", "part-001.csv", "eshop_2008.jsonl", "A.B.parquet"])
def test_plain_file_names_are_accepted(name):
    assert validate_file_name(name) == name


@pytest.mark.parametrize(
    "name",
    ["../escape.csv", "a/b.csv", ".hidden.csv", "x.csv;rm -rf", "x'.csv", "evil..csv", "notes.txt", "events", ""],
)
def test_crafted_file_names_are_refused(name):
    with pytest.raises(LandingPathError):
        validate_file_name(name)


def test_landing_file_stays_inside_its_day_folder(tmp_path):
    path = landing_file(tmp_path, "2026-01-02", "events.csv")
    assert path == tmp_path / "dt=2026-01-02" / "events.csv"
    assert day_dir(tmp_path, dt.date(2026, 1, 2)) == path.parent
