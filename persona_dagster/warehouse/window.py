"""Partition windows to dbt vars: the only way dates reach the SQL."""

from __future__ import annotations

import datetime as dt
import json


def dbt_vars_for_window(start: dt.date | dt.datetime, end: dt.date | dt.datetime, **extra: object) -> dict:
    """{'min_date': start, 'max_date': end} as YYYY-MM-DD for the half-open window [start, end)."""
    start_day = start.date() if isinstance(start, dt.datetime) else start
    end_day = end.date() if isinstance(end, dt.datetime) else end
    if end_day <= start_day:
        raise ValueError(f"empty partition window [{start_day}, {end_day})")
    return {"min_date": start_day.isoformat(), "max_date": end_day.isoformat(), **extra}


def dbt_vars_arg(variables: dict) -> str:
    """The --vars argument (JSON is valid YAML)."""
    return json.dumps(variables, sort_keys=True)


def days_in_window(start: dt.date | dt.datetime, end: dt.date | dt.datetime) -> list[dt.date]:
    """Each day of the half-open window [start, end)."""
    window = dbt_vars_for_window(start, end)
    first, last = dt.date.fromisoformat(window["min_date"]), dt.date.fromisoformat(window["max_date"])
    return [first + dt.timedelta(days=i) for i in range((last - first).days)]
