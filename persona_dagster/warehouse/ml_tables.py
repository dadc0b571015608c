"""Tables the model assets write in schema `ml` (dbt's ml marts publish them to consumers)."""

from __future__ import annotations

import datetime as dt

import duckdb
import pandas as pd

ML_DDL = """
create schema if not exists ml;
create table if not exists ml.user_segments (
    user_id varchar not null, cluster integer not null, segmentation_version varchar not null,
    sessionbert_version varchar not null, as_of_date date not null
);
create table if not exists ml.baseline_segments (
    user_id varchar not null, method varchar not null, cluster integer not null, k integer not null
);
create table if not exists ml.persona_map (
    cluster integer not null, persona_tag varchar not null, probability double not null,
    probabilities varchar not null, mapped_share double not null, top_activities varchar not null,
    segmentation_version varchar not null
);
create table if not exists ml.user_persona_assignments (
    user_id varchar not null, as_of_date date not null, cluster integer not null, persona_tag varchar not null,
    persona_probability double not null, cluster_probability double not null, similarity double not null,
    segmentation_version varchar not null, sessionbert_version varchar not null
);
create table if not exists ml.intent_memories (
    memory_id varchar not null, user_id varchar not null, session_key varchar not null, intent varchar not null,
    intent_source varchar not null, start_ts timestamp not null, end_ts timestamp not null, n_actions integer not null,
    services varchar[] not null, pages varchar[] not null, event_ids varchar[] not null, text varchar not null,
    as_of_date date not null
);
create table if not exists ml.induced_personas (
    user_id varchar not null, cluster_id varchar not null, label varchar not null, description varchar not null,
    evidence_memory_ids varchar[] not null, cohesion double not null, alignment double not null,
    truthfulness double not null, specificity double not null, label_focus double, final_score double not null,
    policy_version varchar not null
);
create table if not exists ml.persona_drift (
    user_id varchar not null, as_of_date date not null, period_days integer not null, previous_main varchar,
    current_main varchar, previous_main_share double, current_main_share double, compared boolean not null,
    main_changed boolean not null, personas_gained varchar[] not null, personas_lost varchar[] not null,
    evidence_shift double, previous_memories integer not null, current_memories integer not null
);
create table if not exists ml.service_recommendations (
    user_id varchar not null, as_of_date date not null, rank integer not null, service varchar not null,
    score double not null, reason varchar not null, model_version varchar not null
);
"""


def ensure_ml_tables(con: duckdb.DuckDBPyConnection) -> None:
    # Recommendations made by the vote rule (n_recommended, weight) are derived data: the recommender
    # that replaced it writes score and reason, so an old table is dropped and rebuilt by the next run.
    old = con.execute("select count(*) from information_schema.columns where table_schema = 'ml' "
                      "and table_name = 'service_recommendations' and column_name = 'n_recommended'").fetchone()[0]
    if old:
        con.execute("drop table ml.service_recommendations")
    con.execute(ML_DDL)
    # Personas written before the label was scored lack its column; the next induced_personas run replaces them all.
    con.execute("alter table ml.induced_personas add column if not exists label_focus double")


def replace_rows(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, where: str = "true",
                 params: list | None = None) -> int:
    """Delete `where` from ml.<table>, insert the frame (by column name) in one transaction."""
    con.execute("begin transaction")
    try:
        con.execute(f"delete from ml.{table} where {where}", params or [])
        if len(frame):
            con.register("_ml_rows", frame)
            con.execute(f"insert into ml.{table} by name select * from _ml_rows")
            con.unregister("_ml_rows")
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return len(frame)


def replace_window(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame, first: dt.date, end: dt.date) -> int:
    """Replace the as_of_date window [first, end) of ml.<table>: re-runs never duplicate."""
    return replace_rows(con, table, frame, "as_of_date >= ? and as_of_date < ?", [first, end])
