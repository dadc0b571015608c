"""Validated landing-zone paths: partition keys and file names never reach a path unchecked."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from persona_dagster.events.schema import LANDING_FORMATS

_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII digits: \d also matches other scripts
# Plain names only: no separators, no leading dot, no shell or SQL metacharacters.
_FILE_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")


class LandingPathError(ValueError):
    """A partition key or a landing file name that is not allowed."""


def validate_date(value: str) -> dt.date:
    """Parse a YYYY-MM-DD day (partition key, folder name, CLI or config value), rejecting anything else."""
    # fullmatch, not match: `$` would accept a trailing newline; strptime alone accepts 2026-1-1.
    if not isinstance(value, str) or not _DATE_RE.fullmatch(value):
        raise LandingPathError(f"date must be YYYY-MM-DD, got {value!r}")
    try:
        return dt.datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError as exc:
        raise LandingPathError(f"date {value!r} is not a calendar date: {exc}") from exc


def day_folders(landing_root: Path) -> tuple[dict[dt.date, Path], list[str]]:
    """The dt= folders of the landing zone by day, and the names of those that are not a YYYY-MM-DD day."""
    days: dict[dt.date, Path] = {}
    malformed: list[str] = []
    root = Path(landing_root)
    for folder in sorted(root.glob("dt=*")) if root.is_dir() else []:
        try:
            days[validate_date(folder.name[3:])] = folder
        except LandingPathError:
            malformed.append(folder.name)
    return days, malformed


def file_format(name: str) -> str | None:
    """The landing format of a file name (parquet/csv/jsonl), or None when it is not one."""
    suffix = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    return suffix if suffix in LANDING_FORMATS else None


def validate_file_name(name: str) -> str:
    if not _FILE_NAME_RE.match(name) or ".." in name:
        raise LandingPathError(f"landing file name {name!r} is not allowed (letters, digits, '.', '_', '-')")
    if file_format(name) is None:
        raise LandingPathError(f"landing file {name!r} must end in one of .parquet, .csv, .jsonl")
    return name


def day_dir(landing_root: Path, day: str | dt.date) -> Path:
    """<landing>/dt=YYYY-MM-DD for a validated day."""
    key = day.isoformat() if isinstance(day, dt.date) else validate_date(day).isoformat()
    return Path(landing_root) / f"dt={key}"


def landing_file(landing_root: Path, day: str | dt.date, name: str) -> Path:
    """The path of a landing file for a day, after validating both parts."""
    return day_dir(landing_root, day) / validate_file_name(name)
