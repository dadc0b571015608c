"""The dbt project on Spark (`dbt build --target spark`): its raw tables, and reading tables back.

On DuckDB the loaders (raw_load, reference_load) write raw.* into the warehouse file. For Spark,
export_raw writes the same rows as parquet files, one folder per raw table; when
PERSONA_DAGSTER_SPARK_RAW_DIR names that folder, the project's on-run-start
(dbt_project/macros/cross_db/spark.sql) makes each raw.<table> an external table over <folder>/<table>.
The profile (dbt_project/profiles.yml, output `spark`) keeps the tables and their catalog under
<data dir>/spark; spark_session opens a session on the same catalog, to read what dbt built:

    python -m persona_dagster.warehouse.spark_sources export --data-dir DATA
    PERSONA_DAGSTER_SPARK_RAW_DIR=DATA/spark/raw dbt build --target spark ...
    python -m persona_dagster.warehouse.spark_sources read --data-dir DATA --out rows.pkl marts.sessions ...
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import pickle
import time
from pathlib import Path

import duckdb
import jinja2
import yaml

from persona_dagster.settings import DATA_DIR_ENV, DBT_PROJECT_DIR

RAW_TABLES = ("events", "activity_tasks", "persona_tasks", "personas", "services")
SPARK_RAW_DIR_ENV = "PERSONA_DAGSTER_SPARK_RAW_DIR"
# Every events folder holds this zero-row file, so Spark can read the table's schema before any day landed.
EVENTS_SCHEMA_FILE = "schema.parquet"


def spark_raw_dir(data_dir: Path) -> Path:
    """Where export_raw writes by default: <data dir>/spark/raw (beside the profile's warehouse and metastore)."""
    return Path(data_dir).resolve() / "spark" / "raw"


def _copy(con: duckdb.DuckDBPyConnection, select: str, params: list, path: Path) -> None:
    """Write a query's rows to one parquet file, atomically (Spark skips names starting with '.')."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    con.execute(f"copy ({select}) to '{tmp}' (format parquet)", params)
    tmp.replace(path)


def export_raw(con: duckdb.DuckDBPyConnection, folder: Path, days: list[dt.date] | None = None) -> dict[str, int]:
    """Write the warehouse's raw tables as parquet under `folder`: events one file per day (`days`, default
    every day in raw.events; a day without rows loses its file), the reference tables whole. Rows per table."""
    folder = Path(folder).resolve()
    counts: dict[str, int] = {}
    for table in RAW_TABLES[1:]:
        _copy(con, f"select * from raw.{table}", [], folder / table / "data.parquet")
        counts[table] = con.execute(f"select count(*) from raw.{table}").fetchone()[0]
    # loaded_at as an instant (timestamptz): Spark reads a naive parquet timestamp as timestamp_ntz.
    events = "select * replace (timezone('UTC', loaded_at) as loaded_at) from raw.events"
    _copy(con, f"{events} limit 0", [], folder / "events" / EVENTS_SCHEMA_FILE)
    if days is None:
        days = [row[0] for row in con.execute("select distinct event_date from raw.events order by 1").fetchall()]
    counts["events"] = 0
    for day in days:
        n = con.execute("select count(*) from raw.events where event_date = ?", [day]).fetchone()[0]
        path = folder / "events" / f"{day.isoformat()}.parquet"
        if n:
            _copy(con, f"{events} where event_date = ?", [day], path)
        else:
            path.unlink(missing_ok=True)
        counts["events"] += n
    return counts


def spark_settings(data_dir: Path, project_dir: Path = DBT_PROJECT_DIR) -> dict[str, str]:
    """The `spark` profile's server_side_parameters for a data directory (its env_var() calls rendered)."""
    profile = yaml.safe_load((Path(project_dir) / "profiles.yml").read_text())
    parameters = profile["persona_dagster"]["outputs"]["spark"]["server_side_parameters"]
    environ = {**os.environ, DATA_DIR_ENV: str(Path(data_dir).resolve())}

    def env_var(name: str, default: str | None = None) -> str:
        if name not in environ and default is None:
            raise KeyError(f"env var {name} is not set")
        return environ.get(name, default)

    return {key: jinja2.Template(str(value)).render(env_var=env_var) for key, value in parameters.items()}


def spark_session(data_dir: Path, project_dir: Path = DBT_PROJECT_DIR):
    """A Spark session on the catalog and warehouse dbt's `spark` target uses for this data directory.
    Only one process can hold the (Derby) catalog at a time: not while dbt runs."""
    from pyspark.sql import SparkSession

    # collect() turns timestamps into naive datetimes in the process's local zone: make it UTC, the session's.
    os.environ["TZ"] = "UTC"
    time.tzset()
    builder = SparkSession.builder.enableHiveSupport()
    for key, value in spark_settings(data_dir, project_dir).items():
        builder = builder.config(key, value)
    return builder.getOrCreate()


def read_tables(spark, tables: list[str]) -> dict[str, tuple[list[tuple[str, str]], list[tuple]]]:
    """Each table's (column name, Spark type) list and its rows as tuples of Python values."""
    out = {}
    for table in tables:
        frame = spark.table(table)
        columns = [(field.name, field.dataType.simpleString()) for field in frame.schema.fields]
        out[table] = (columns, [tuple(row) for row in frame.collect()])
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export", help="write the warehouse's raw tables as parquet for the Spark target")
    export.add_argument("--data-dir", type=Path, required=True)
    export.add_argument("--out", type=Path, help="default: <data dir>/spark/raw")
    read = sub.add_parser("read", help="pickle {table: (columns, rows)} of tables dbt built on Spark")
    read.add_argument("--data-dir", type=Path, required=True)
    read.add_argument("--out", type=Path, required=True)
    read.add_argument("tables", nargs="+")
    args = parser.parse_args(argv)
    if args.command == "export":
        con = duckdb.connect(str(Path(args.data_dir) / "warehouse.duckdb"), read_only=True)
        try:
            print(export_raw(con, args.out or spark_raw_dir(args.data_dir)))
        finally:
            con.close()
    else:
        spark = spark_session(args.data_dir)
        try:
            args.out.write_bytes(pickle.dumps(read_tables(spark, args.tables)))
        finally:
            spark.stop()


if __name__ == "__main__":
    main()
