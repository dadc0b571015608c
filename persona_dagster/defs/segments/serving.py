"""Daily serving: each active user's persona (nearest centroid) and new-service recommendations."""

import dagster as dg
import numpy as np
import pandas as pd
from dagster_duckdb import DuckDBResource

from persona_dagster.defs.automation.conditions import daily_condition
from persona_dagster.defs.partitions import DUCKDB_POOL, daily_partitions, single_run_backfill
from persona_dagster.defs.segments.assets import persona_map
from persona_dagster.defs.segments.inputs import adoption
from persona_dagster.defs.sessionbert.assets import next_activity_model, user_embeddings
from persona_dagster.model_store import current
from persona_dagster.segment_store import load_segmentation
from persona_dagster.segments.assignment import assign_personas
from persona_dagster.segments.persona_map import ClusterPersona, PersonaMap, tag_personas
from persona_dagster.segments.recent_sessions import last_sessions
from persona_dagster.segments.recommend import recommend_new_services, top_services_from_rankings
from persona_dagster.sessionbert.finetune import predict_topk
from persona_dagster.sessionbert.next_activity import NextActivityModel
from persona_dagster.sessionbert.tokenizer import load_tokenizer
from persona_dagster.settings import data_paths
from persona_dagster.warehouse.ml_tables import ensure_ml_tables, replace_window
from persona_dagster.warehouse.session_io import read_sessions
from persona_dagster.warehouse.window import days_in_window

GROUP = "segments"
ADOPTION = dg.AssetKey(["marts", "user_service_adoption"])


def _stored_persona_map(con) -> PersonaMap:
    rows = con.execute("select cluster, persona_tag, probability, mapped_share from ml.persona_map").fetchall()
    clusters = {int(c): ClusterPersona(int(c), tag, tag_personas(tag), float(p), {}, {}, float(share))
                for c, tag, p, share in rows}
    return PersonaMap(clusters=clusters, lacking_signal=())


@dg.asset(
    deps=[user_embeddings, persona_map], group_name=GROUP, kinds={"python", "duckdb"},
    partitions_def=daily_partitions, backfill_policy=single_run_backfill, pool=DUCKDB_POOL,
    automation_condition=daily_condition(),
)
def persona_assignments(context: dg.AssetExecutionContext, warehouse: DuckDBResource) -> dg.MaterializeResult:
    """Users active on the day get the persona of their nearest centroid; new users need no re-clustering."""
    segmentation, centroids, facts = load_segmentation(data_paths().models)
    window = context.partition_time_window
    first, end = window.start.date(), window.end.date()
    with warehouse.get_connection() as con:
        ensure_ml_tables(con)
        mapping = _stored_persona_map(con)
        rows = con.execute(
            "select user_id, as_of_date, embedding from embeddings.user_embeddings "
            "where as_of_date >= ? and as_of_date < ? and model_version = ? order by as_of_date, user_id",
            [first, end, facts["sessionbert_version"]]).df()
        frames = []
        for day, group in rows.groupby("as_of_date", sort=True):
            assigned = assign_personas(list(group["user_id"]), np.stack(group["embedding"].to_numpy()), centroids, mapping)
            frames.append(assigned.assign(as_of_date=day))
        result = pd.concat(frames) if frames else pd.DataFrame(columns=["user_id", "as_of_date"])
        result = result.assign(segmentation_version=segmentation.version,
                               sessionbert_version=facts["sessionbert_version"])
        written = replace_window(con, "user_persona_assignments", result, first, end)
    shares = result["persona_tag"].value_counts(normalize=True).round(3).to_dict() if written else {}
    return dg.MaterializeResult(metadata={"assignments": written, "persona_shares": dg.MetadataValue.json(shares),
                                          "segmentation_version": segmentation.version})


def session_top_services(sessions: pd.DataFrame, model_dir, k: int = 5):
    """The next-service model's top-k services after each whole session (the paper's per-session votes)."""
    model, tokenizer = NextActivityModel.from_pretrained(model_dir), load_tokenizer(model_dir)
    ranked = predict_topk(model, tokenizer, list(sessions["sequence"]), k)["service"]
    return top_services_from_rankings(dict(zip(sessions["session_key"], ranked)), k)


def recommendations_as_of(sessions: pd.DataFrame, adopted: pd.DataFrame, votes, day) -> pd.DataFrame:
    """Recommendations for users active on `day`, from their sessions up to it and services used by then."""
    history = sessions[sessions["event_date"] <= day]
    active = set(sessions.loc[sessions["event_date"] == day, "user_id"])
    history = history[history["user_id"].isin(active)]
    used_rows = adopted[(adopted["first_used_date"] <= day) & adopted["user_id"].isin(active)]
    used = {u: frozenset(g["service"]) for u, g in used_rows.groupby("user_id")}
    return recommend_new_services(history, votes, used)


@dg.asset(
    deps=[next_activity_model, ADOPTION], group_name=GROUP, kinds={"pytorch", "duckdb"},
    partitions_def=daily_partitions, backfill_policy=single_run_backfill, pool=DUCKDB_POOL,
    automation_condition=daily_condition(),
)
def service_recommendations(context: dg.AssetExecutionContext, warehouse: DuckDBResource) -> dg.MaterializeResult:
    """Top-5 services each active user has not used: votes of the model over their last 8 sessions."""
    model = current(data_paths().models, "next_activity")
    window = context.partition_time_window
    first, end = window.start.date(), window.end.date()
    with warehouse.get_connection() as con:
        ensure_ml_tables(con)
        sessions = read_sessions(con, end=end)
        adopted = adoption(con)
    days = [d for d in days_in_window(window.start, window.end) if (sessions["event_date"] == d).any()]
    # Only each active user's last 8 sessions up to a day vote: predict the union of those once.
    voters = set()
    for day in days:
        active = set(sessions.loc[sessions["event_date"] == day, "user_id"])
        history = sessions[(sessions["event_date"] <= day) & sessions["user_id"].isin(active)]
        voters |= set(last_sessions(history, 8)["session_key"])
    needed = sessions[sessions["session_key"].isin(voters)]
    votes = session_top_services(needed, model.path)
    frames = [recommendations_as_of(sessions, adopted, votes, day).assign(as_of_date=day) for day in days]
    result = pd.concat(frames) if frames else pd.DataFrame()
    if len(result):
        result = result.rename(columns={"count": "n_recommended"})[
            ["user_id", "as_of_date", "rank", "service", "n_recommended", "weight"]].assign(model_version=model.version)
    with warehouse.get_connection() as con:
        written = replace_window(con, "service_recommendations", result, first, end)
    return dg.MaterializeResult(metadata={
        "recommendations": written, "users": int(result["user_id"].nunique()) if written else 0,
        "model_version": model.version, "sessions_scored": len(needed),
    })
