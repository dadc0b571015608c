"""Automation knobs, read from the environment when the code location loads."""

from __future__ import annotations

import os

SENSOR_INTERVAL_ENV = "PERSONA_DAGSTER_SENSOR_INTERVAL_S"
LOOKBACK_DAYS_ENV = "PERSONA_DAGSTER_AUTOMATION_LOOKBACK_DAYS"
RETRAIN_CRON_ENV = "PERSONA_DAGSTER_RETRAIN_CRON"

DEFAULT_SENSOR_INTERVAL_S = 30
DEFAULT_LOOKBACK_DAYS = 60
# Monday 03:00 UTC: after the weekend's days have landed, before people look at the week.
DEFAULT_RETRAIN_CRON = "0 3 * * 1"


def _positive_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ValueError(f"{name} must be a positive integer, got {raw!r}")
    return int(raw)


def sensor_interval_seconds() -> int:
    """How often the landing, reference and automation sensors tick ($PERSONA_DAGSTER_SENSOR_INTERVAL_S)."""
    return _positive_int(SENSOR_INTERVAL_ENV, DEFAULT_SENSOR_INTERVAL_S)


def lookback_days() -> int:
    """How many days back a day-partitioned asset still recomputes when its upstream day updates."""
    return _positive_int(LOOKBACK_DAYS_ENV, DEFAULT_LOOKBACK_DAYS)


def retrain_cron() -> str:
    """When heavy models retrain ($PERSONA_DAGSTER_RETRAIN_CRON, a cron string in UTC)."""
    return os.environ.get(RETRAIN_CRON_ENV, "").strip() or DEFAULT_RETRAIN_CRON
