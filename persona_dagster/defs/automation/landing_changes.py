"""Which landing days changed since a sensor last looked: pure functions over {day: fingerprint}."""

from __future__ import annotations

import json
from collections.abc import Mapping


def read_cursor(cursor: str | None) -> dict[str, str]:
    """The {day: fingerprint} a sensor stored; an empty or unreadable cursor means nothing seen yet."""
    if not cursor:
        return {}
    try:
        seen = json.loads(cursor)
    except json.JSONDecodeError:
        return {}  # re-requesting every day is safe: a day's load replaces it
    if not isinstance(seen, dict):
        return {}
    return {str(day): str(fp) for day, fp in seen.items()}


def write_cursor(seen: Mapping[str, str]) -> str:
    """{day: fingerprint} as compact JSON with sorted keys (stable across ticks)."""
    return json.dumps(dict(sorted(seen.items())), separators=(",", ":"))


def changed_days(current: Mapping[str, str], seen: Mapping[str, str]) -> list[str]:
    """Days, oldest first, whose fingerprint is new or differs from the one seen: new, late or re-delivered."""
    return sorted(day for day, fp in current.items() if seen.get(day) != fp)


def run_key(day: str, fp: str) -> str:
    """One run per day content: a replaced file gets a new key, the same files never run twice."""
    return f"{day}:{fp}"
