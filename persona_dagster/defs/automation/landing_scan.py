"""Look at the landing zone the way the loader reads it: validated day folders, the files load_day accepts."""

from __future__ import annotations

from pathlib import Path

from persona_dagster.landing.fingerprint import fingerprint, stamp_files
from persona_dagster.landing.paths import LandingPathError, validate_date
from persona_dagster.warehouse.raw_load import landing_files


def landed_day_fingerprints(landing_root: Path) -> dict[str, str]:
    """{YYYY-MM-DD: fingerprint} of each dt= folder holding at least one file the loader would read.

    A folder with only refused entries or in-progress dotfiles counts as nothing landed yet, so an
    emptied folder never triggers a load that would wipe a day (clear a day by hand if meant).
    """
    root = Path(landing_root)
    if not root.is_dir():
        return {}
    days: dict[str, str] = {}
    for folder in root.glob("dt=*"):
        try:
            day = validate_date(folder.name[3:])
        except LandingPathError:
            continue  # the loader can never be asked for this folder: no partition key matches it
        files, _refused = landing_files(root, day)
        stamps = stamp_files(files)
        if stamps:
            days[day.isoformat()] = fingerprint(stamps)
    return days
