"""A new partition window reaches the SQL without invalidating dbt's partial parse (it comes through the environment)."""

import datetime as dt

from dbt.cli.main import dbtRunner

from persona_dagster.settings import DATA_DIR_ENV, DBT_PROJECT_DIR
from persona_dagster.warehouse.dbt_process import window_env
from persona_dagster.warehouse.window import dbt_vars_for_window

MODEL = "int_users__daily_activity_usage"


def test_a_new_window_keeps_the_partial_parse(tmp_path, monkeypatch):
    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    events: list[str] = []
    runner = dbtRunner(callbacks=[lambda event: events.append(event.info.name)])
    args = ["compile", "--select", MODEL, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path / "logs")]
    for day in (dt.date(2026, 1, 1), dt.date(2026, 1, 2)):
        for name, value in window_env(dbt_vars_for_window(day, day + dt.timedelta(days=1))).items():
            monkeypatch.setenv(name, value)
        events.clear()
        assert runner.invoke(args).success
        compiled = next((tmp_path / "target" / "compiled").rglob(f"{MODEL}.sql")).read_text()
        assert f"date '{day.isoformat()}'" in compiled and f"date '{(day + dt.timedelta(days=1)).isoformat()}'" in compiled
    # The second run, with another window, re-used the saved parse: no re-parse of any file.
    assert "UnableToPartialParse" not in events
    assert "PartialParsingSkipParsing" in events, sorted(set(events))
