"""Look at the landing zone the way the loader reads it: validated day folders, the files load_day accepts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from persona_dagster.landing.fingerprint import fingerprint, stamp_files
from persona_dagster.landing.paths import day_folders
from persona_dagster.warehouse.raw_load import landing_files
from persona_dagster.warehouse.reference_load import REFERENCE_FILES


def landed_day_fingerprints(landing_root: Path) -> dict[str, str]:
    """{YYYY-MM-DD: fingerprint} of each dt= folder holding at least one file the loader would read.

    A folder with only refused entries or in-progress dotfiles counts as nothing landed yet, so an
    emptied folder never triggers a load that would wipe a day (clear a day by hand if meant).
    Folders not named dt=YYYY-MM-DD are left out: no partition key can name them (see malformed_day_folders).
    """
    root = Path(landing_root)
    days = {day.isoformat(): day_fingerprint(root, day) for day in day_folders(root)[0]}
    return {day: fp for day, fp in days.items() if fp}


def day_fingerprint(landing_root: Path, day: dt.date) -> str:
    """The fingerprint of the files load_day would read for `day`; '' when there are none."""
    files, _refused = landing_files(Path(landing_root), day)
    stamps = stamp_files(files)
    return fingerprint(stamps) if stamps else ""


def malformed_day_folders(landing_root: Path) -> list[str]:
    """Names of dt= folders that are not a calendar day (dt=0000-00-00, dt=2025-13-45), never loaded."""
    return day_folders(landing_root)[1]


def reference_fingerprint(reference_dir: Path) -> str:
    """Fingerprint of the reference files the loader reads; absent files leave it unchanged."""
    return fingerprint(stamp_files(Path(reference_dir) / name for name in REFERENCE_FILES))
