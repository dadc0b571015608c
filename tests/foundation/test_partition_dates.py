"""Strict YYYY-MM-DD at every boundary: landing folder names, the start-date setting, the CLI, the day range."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys

import pytest

from persona_dagster.cli import main
from persona_dagster.landing.paths import LandingPathError, day_folders, validate_date
from persona_dagster.settings import DATA_DIR_ENV, START_DATE_ENV, partitions_start_date

NOT_DAYS = ["0000-00-00", "2025-13-45", "2026-02-30", "2026-01-01\n", " 2026-01-01", "2026-W01-5", "20260101",
            "2026-1-1", "２０２６-０１-０１", "٢٠٢٦-٠١-٠١", "2026-01-01T00:00"]


@pytest.mark.parametrize("value", NOT_DAYS)
def test_validate_date_refuses_anything_but_a_calendar_day(value):
    with pytest.raises(LandingPathError, match="YYYY-MM-DD|calendar date"):
        validate_date(value)


def test_validate_date_parses_a_day():
    assert validate_date("2024-02-29") == dt.date(2024, 2, 29)


@pytest.fixture
def landing(tmp_path, monkeypatch):
    """A data directory whose landing zone holds malformed folder names beside two real days."""
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    monkeypatch.delenv(START_DATE_ENV, raising=False)
    for name in ("dt=0000-00-00", "dt=2025-13-45", "dt=2025-12-01\n", "dt=2026-01-03", "dt=2026-01-05"):
        (tmp_path / "landing" / name).mkdir(parents=True)
    return tmp_path / "landing"


def test_malformed_folders_are_skipped_and_listed(landing):
    days, malformed = day_folders(landing)
    assert sorted(days) == [dt.date(2026, 1, 3), dt.date(2026, 1, 5)]
    assert malformed == ["dt=0000-00-00", "dt=2025-12-01\n", "dt=2025-13-45"]
    assert partitions_start_date() == "2026-01-03"


def test_code_location_loads_beside_malformed_folders(landing):
    """The partitions module (imported by every definition) loads; before, dt=0000-00-00 made it raise."""
    code = "from persona_dagster.defs.partitions import daily_partitions as p; print(p.start.date())"
    out = subprocess.run([sys.executable, "-c", code], env=dict(os.environ), capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "2026-01-03"


@pytest.mark.parametrize("value", ["2026-W01-5", "20260101", "0000-00-00"])
def test_start_date_setting_is_strict(monkeypatch, value):
    monkeypatch.setenv(START_DATE_ENV, value)
    with pytest.raises(LandingPathError, match=START_DATE_ENV):
        partitions_start_date()


@pytest.mark.parametrize("value", ["2026-W01-5", "20260101", "2026-1-1"])
def test_cli_refuses_other_date_spellings(value, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["materialize", "--from", value, "--to", "2026-01-02"])
    assert exit_info.value.code == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


def test_cli_refuses_a_day_before_the_first_partition_before_anything_runs(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    with pytest.raises(SystemExit, match=r"outside the daily partitions \d{4}-\d{2}-\d{2}\.\."):
        main(["materialize", "--from", "2025-12-31", "--to", "2025-12-31"])
    assert not (tmp_path / "dagster_home").exists() and not (tmp_path / "warehouse.duckdb").exists()


def test_materialize_days_refuses_out_of_range_days_before_any_run(tmp_path, monkeypatch):
    import dagster as dg

    from persona_dagster.runner import materialize_days

    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    instance = dg.DagsterInstance.ephemeral()
    with pytest.raises(ValueError, match=r"outside the daily partitions \d{4}-\d{2}-\d{2}\.\."):
        materialize_days(dt.date(2025, 12, 31), dt.date(2026, 1, 1), instance=instance)
    with pytest.raises(ValueError, match="outside the daily partitions"):
        materialize_days(dt.date(2999, 1, 1), dt.date(2999, 1, 1), instance=instance)
    assert not instance.get_runs() and not (tmp_path / "warehouse.duckdb").exists()
