"""Daily serving: each active user's persona (nearest centroid) and new-service recommendations."""

import dagster as dg
import numpy as np
import pandas as pd
from dagster_duckdb import DuckDBResource

from persona_dagster.defs.automation.conditions import daily_condition
from persona_dagster.defs.partitions import DUCKDB_POOL, daily_partitions, single_run_backfill
from persona_dagster.defs.resources import ModelStoreResource
from persona_dagster.defs.segments.assets import persona_map
from persona_dagster.warehouse.segment_inputs import adoption, daily_service_usage, persona_map_rows
from persona_dagster.defs.segments.recommender import MODEL_NAME, adoption_recommender
from persona_dagster.segments.adoption_model import AdoptionInputs, AdoptionRecommender
from persona_dagster.warehouse.embedding_store import stored_session_vectors, user_embeddings_in_window
from persona_dagster.defs.sessionbert.assets import user_embeddings
from persona_dagster.segment_store import load_segmentation
from persona_dagster.segments.assignment import assign_personas
from persona_dagster.segments.persona_map import ClusterPersona, PersonaMap, tag_personas
from persona_dagster.segments.recommend import RECOMMENDATIONS, top_services_from_rankings
from persona_dagster.sessionbert.finetune import predict_topk
from persona_dagster.sessionbert.next_activity import NextActivityModel
from persona_dagster.sessionbert.tokenizer import load_tokenizer
from persona_dagster.warehouse.ml_tables import ensure_ml_tables, replace_window
from persona_dagster.warehouse.window import days_in_window

GROUP = "segments"
ADOPTION = dg.AssetKey(["marts", "user_service_adoption"])


def _stored_persona_map(con) -> PersonaMap:
    rows = persona_map_rows(con)
    clusters = {int(c): ClusterPersona(int(c), tag, tag_personas(tag), float(p), {}, {}, float(share))
                for c, tag, p, share in rows}
    return PersonaMap(clusters=clusters, lacking_signal=())


@dg.asset(
    deps=[user_embeddings, persona_map], group_name=GROUP, kinds={"python", "duckdb"},
    partitions_def=daily_partitions, backfill_policy=single_run_backfill, pool=DUCKDB_POOL,
    automation_condition=daily_condition(),
)
def persona_assignments(context: dg.AssetExecutionContext, warehouse: DuckDBResource,
                        models: ModelStoreResource) -> dg.MaterializeResult:
    """Users active on the day get the persona of their nearest centroid; new users need no re-clustering."""
    segmentation, centroids, facts = load_segmentation(models.path)
    window = context.partition_time_window
    first, end = window.start.date(), window.end.date()
    with warehouse.get_connection() as con:
        ensure_ml_tables(con)
        mapping = _stored_persona_map(con)
        rows = user_embeddings_in_window(con, first, end, facts["sessionbert_version"])
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


@dg.asset(
    deps=[adoption_recommender, user_embeddings, ADOPTION], group_name=GROUP, kinds={"pytorch", "duckdb"},
    partitions_def=daily_partitions, backfill_policy=single_run_backfill, pool=DUCKDB_POOL,
    automation_condition=daily_condition(),
)
def service_recommendations(context: dg.AssetExecutionContext, warehouse: DuckDBResource,
                            models: ModelStoreResource) -> dg.MaterializeResult:
    """Top-5 services each active user has not used, from the adoption recommender, each with its reason."""
    stored = models.current(MODEL_NAME)
    model = AdoptionRecommender.load(stored.path)
    # The vectors of the SessionBERT version the recommender was trained with, whatever is current now.
    sessionbert_version = models.current_metadata(MODEL_NAME)["sessionbert_version"]
    window = context.partition_time_window
    first, end = window.start.date(), window.end.date()
    with warehouse.get_connection() as con:
        ensure_ml_tables(con)
        inputs = AdoptionInputs(daily_service_usage(con), adoption(con),
                                stored_session_vectors(con, sessionbert_version, end))
    usage = inputs.usage
    frames = []
    for day in days_in_window(window.start, window.end):
        active = pd.Index(sorted(usage.loc[usage["event_date"] == day, "user_id"].unique()))
        if len(active):
            frames.append(model.recommend(inputs, active, day, RECOMMENDATIONS).assign(as_of_date=day))
    result = pd.concat(frames) if frames else pd.DataFrame(columns=["user_id", "rank", "service", "score", "reason"])
    result = result.assign(model_version=stored.version)
    with warehouse.get_connection() as con:
        written = replace_window(con, "service_recommendations", result, first, end)
    return dg.MaterializeResult(metadata={
        "recommendations": written, "users": int(result["user_id"].nunique()) if written else 0,
        "model_version": stored.version,
        "short_lists": int((result.groupby("user_id").size() < RECOMMENDATIONS).sum()) if written else 0,
    })
