"""Look at the landing zone the way the loader reads it: validated day folders, the files load_day accepts."""

from __future__ import annotations

from pathlib import Path

from persona_dagster.landing.fingerprint import fingerprint, stamp_files
from persona_dagster.landing.paths import day_folders
from persona_dagster.warehouse.raw_load import landing_files


def landed_day_fingerprints(landing_root: Path) -> dict[str, str]:
    """{YYYY-MM-DD: fingerprint} of each dt= folder holding at least one file the loader would read.

    A folder with only refused entries or in-progress dotfiles counts as nothing landed yet, so an
    emptied folder never triggers a load that would wipe a day (clear a day by hand if meant).
    Folders not named dt=YYYY-MM-DD are left out: no partition key can name them (see malformed_day_folders).
    """
    root = Path(landing_root)
    days: dict[str, str] = {}
    for day in day_folders(root)[0]:
        files, _refused = landing_files(root, day)
        stamps = stamp_files(files)
        if stamps:
            days[day.isoformat()] = fingerprint(stamps)
    return days


def malformed_day_folders(landing_root: Path) -> list[str]:
    """Names of dt= folders that are not a calendar day (dt=0000-00-00, dt=2025-13-45), never loaded."""
    return day_folders(landing_root)[1]
