"""The real logs in ../shared/data through the real pipeline (importer -> landing -> raw load -> dbt build).

Shared by the real-log benchmarks: each log lands in a fresh temporary data dir (the shared files
are read in place, never copied); results go to <data dir>/reports/real/<dataset>/ where the
leaderboard reads them.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import duckdb

from persona_dagster.importers.eshop import import_eshop
from persona_dagster.importers.msnbc import import_msnbc
from persona_dagster.importers.source import SHARED_DATA_DIR
from persona_dagster.settings import DATA_DIR_ENV, DBT_PROJECT_DIR, DataPaths, data_paths
from persona_dagster.warehouse.raw_load import load_day
from persona_dagster.warehouse.reference_load import load_reference

DATASETS = ("eshop", "msnbc")
# A sample of msnbc users is drawn with this seed, so two runs with the same --msnbc-users agree.
MSNBC_SEED = 1


def build_warehouse(root: Path) -> None:
    """Raw load of every landed day, then dbt build of the warehouse models (ml marts need models: left out)."""
    paths = DataPaths(root)
    days = sorted(dt.date.fromisoformat(p.name[3:]) for p in paths.landing.glob("dt=*"))
    con = duckdb.connect(str(paths.warehouse))
    try:
        load_reference(con, paths.reference)
        for day in days:
            load_day(con, paths.landing, day)
    finally:
        con.close()
    env = {**os.environ, DATA_DIR_ENV: str(root), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    subprocess.run([str(Path(sys.executable).parent / "dbt"), "build", "--quiet", "--profiles-dir", str(DBT_PROJECT_DIR),
                    "--project-dir", str(DBT_PROJECT_DIR), "--exclude", "tag:ml_mart"], check=True, env=env)


def land_and_build(name: str, msnbc_users: int | None) -> Path:
    """A temporary data dir holding `name` imported and built into its warehouse."""
    root = Path(tempfile.mkdtemp(prefix=f"real-{name}-"))
    if name == "eshop":
        import_eshop(SHARED_DATA_DIR / "eshop_clothing_2008" / "e-shop_clothing_2008.csv", root / "landing")
    elif name == "msnbc":
        import_msnbc(SHARED_DATA_DIR / "msnbc" / "msnbc990928.zip", root / "landing", limit_users=msnbc_users,
                     seed=MSNBC_SEED if msnbc_users else None)
    else:
        raise ValueError(f"unknown dataset {name!r}: one of {DATASETS}")
    build_warehouse(root)
    return root


def real_reports_dir(name: str) -> Path:
    """<data dir>/reports/real/<dataset>/ of the data dir in use (PERSONA_DAGSTER_DATA_DIR), not the temporary one."""
    return data_paths().reports / "real" / name
