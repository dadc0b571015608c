"""The landing event schema (see README: "Event schema")."""

from __future__ import annotations

# Column order used when writing landing files; every column is a string in the files.
EVENT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "user_id",
    "session_id",
    "ts",
    "service",
    "page",
    "country",
    "city",
    "billing_tier",
    "action",
)
REQUIRED_COLUMNS: frozenset[str] = frozenset({"user_id", "ts", "service", "page"})
OPTIONAL_COLUMNS: frozenset[str] = frozenset(EVENT_COLUMNS) - REQUIRED_COLUMNS

# Named billing tiers, cheapest first; a numeric amount is accepted instead of a name.
BILLING_TIERS: tuple[str, ...] = ("Low", "Medium", "High", "Very High")

LANDING_FORMATS: tuple[str, ...] = ("parquet", "csv", "jsonl")


def format_ts(epoch_seconds: float) -> str:
    """ISO-8601 UTC with a Z suffix, second precision: the canonical landing timestamp."""
    import datetime as _dt

    return _dt.datetime.fromtimestamp(int(epoch_seconds), _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
