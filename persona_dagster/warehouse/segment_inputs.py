"""Warehouse reads shared by the segment assets (reference maps, adoption, ground truth)."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pandas as pd

from persona_dagster.segments.reference import activity_task_map, persona_services, persona_task_sets


def reference_maps(con: duckdb.DuckDBPyConnection) -> tuple[dict[str, str], dict[str, frozenset[str]]]:
    """({activity: task}, {persona: tasks}) from the staged reference tables."""
    activity_tasks = activity_task_map(con.execute(
        "select service, page, task from staging.stg_reference__activity_tasks").df())
    personas = persona_task_sets(con.execute("select persona, task from staging.stg_reference__persona_tasks").df())
    return activity_tasks, personas


def services_by_persona(con: duckdb.DuckDBPyConnection) -> dict[str, frozenset[str]]:
    activity_tasks, personas = reference_maps(con)
    return persona_services(activity_tasks, personas)


def adoption(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """user_id, service, first_used_date (plain dates) from marts.user_service_adoption."""
    frame = con.execute("select user_id, service, first_used_date from marts.user_service_adoption").df()
    frame["first_used_date"] = pd.to_datetime(frame["first_used_date"]).dt.date
    return frame


def daily_service_usage(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """user_id, event_date, service, n_events per user, day and service (names as landed)."""
    frame = con.execute("select user_id, event_date, service, n_events "
                        "from intermediate.int_users__daily_service_usage").df()
    frame["event_date"] = pd.to_datetime(frame["event_date"]).dt.date
    return frame


def true_main_personas(ground_truth: Path) -> dict[str, str] | None:
    """{user_id: main persona} of generated data; None for real logs (no ground truth)."""
    path = Path(ground_truth) / "users.csv"
    if not path.exists():
        return None
    with open(path, newline="") as fh:
        return {row["user_id"]: row["main_persona"] for row in csv.DictReader(fh)}


def latest_persona_tags(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """{user_id: persona tag of their latest daily assignment}."""
    return dict(con.execute("""select user_id, persona_tag from ml.user_persona_assignments
                               qualify row_number() over (partition by user_id order by as_of_date desc) = 1""").fetchall())


def service_descriptions(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """{service: description} from the optional service catalogue; {} when the log came without one."""
    rows = con.execute("select service, description from staging.stg_reference__services "
                       "where description is not null and trim(description) <> ''").fetchall()
    return dict(rows)


def read_user_segments(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """user_id, cluster, segmentation_version of the current segmentation (ml.user_segments), by user."""
    return con.execute("select user_id, cluster, segmentation_version from ml.user_segments order by user_id").df()


def read_baseline_segments(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """user_id, method, cluster, k of the TF-IDF and generic-BERT clusterings beside SessionBERT's."""
    return con.execute("select user_id, method, cluster, k from ml.baseline_segments order by method, user_id").df()


def persona_map_rows(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    """(cluster, persona_tag, probability, mapped_share) per cluster of ml.persona_map."""
    return con.execute("select cluster, persona_tag, probability, mapped_share from ml.persona_map "
                       "order by cluster").fetchall()


def latest_recommendations(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """user_id, service of each user's latest day of ml.service_recommendations."""
    return con.execute("""select r.user_id, r.service from ml.service_recommendations r
                          qualify r.as_of_date = max(r.as_of_date) over (partition by r.user_id)""").df()
