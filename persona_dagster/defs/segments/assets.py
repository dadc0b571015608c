"""Segments and the persona map: cosine k-means on user embeddings, tagged through task encodings."""

import json

import dagster as dg
import numpy as np
import pandas as pd
from dagster_duckdb import DuckDBResource

from persona_dagster.defs.automation.conditions import retrain_condition
from persona_dagster.defs.failures import fail_on_too_little_data
from persona_dagster.defs.metadata import plot, table
from persona_dagster.defs.partitions import DUCKDB_POOL
from persona_dagster.defs.resources import MLflowResource, ModelStoreResource, ReportsResource
from persona_dagster.defs.segments.config import SegmentsConfig
from persona_dagster.warehouse.segment_inputs import read_user_segments, reference_maps
from persona_dagster.defs.sessionbert.assets import EMBEDDING_MODEL, generic_bert_mlm, user_embeddings
from persona_dagster.sessionbert.embed import load_encoder
from persona_dagster.sessionbert.embed import session_embeddings as embed_sessions
from persona_dagster.sessionbert.embed import user_embeddings as mean_of_last_sessions
from persona_dagster.sessionbert.tokenizer import load_tokenizer
from persona_dagster.segments.clustering import feasible_ks, silhouette_sweep
from persona_dagster.segments.activity_labels import label_clusters_by_activity
from persona_dagster.segments.persona_map import cluster_top_activities, map_clusters_to_personas
from persona_dagster.segments.plots import plot_silhouette_curves
from persona_dagster.segments.recent_sessions import LAST_SESSIONS, last_sessions
from persona_dagster.segments.tfidf_features import tfidf_features, user_documents
from persona_dagster.segment_store import save_segmentation
from persona_dagster.warehouse.embedding_store import latest_user_embeddings
from persona_dagster.defs.warehouse.keys import TASK_REFERENCE
from persona_dagster.warehouse.landed_names import read_landed_names
from persona_dagster.warehouse.ml_tables import ensure_ml_tables, replace_rows
from persona_dagster.warehouse.session_io import read_sessions

GROUP = "segments"


def _json(value) -> str:
    """JSON that keeps landed names readable (no \\u escapes for non-ASCII letters)."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


def generic_user_vectors(sessions, users: list[str], model_dir) -> np.ndarray:
    """Users' vectors from the generic-tokenizer BERT, built exactly like SessionBERT's (mean of last 8 sessions)."""
    recent = last_sessions(sessions[sessions["user_id"].isin(users)], 8)
    vectors = embed_sessions(load_encoder(model_dir), load_tokenizer(model_dir), recent)
    per_user = mean_of_last_sessions(recent, vectors)
    rows = {u: i for i, u in enumerate(per_user.keys)}
    return per_user.vectors[[rows[u] for u in users]]


@dg.asset(deps=[user_embeddings, generic_bert_mlm], group_name=GROUP, kinds={"scikitlearn", "mlflow"},
          pool=DUCKDB_POOL, automation_condition=retrain_condition())
def user_segments(context: dg.AssetExecutionContext, config: SegmentsConfig, warehouse: DuckDBResource,
                  mlflow: MLflowResource, models: ModelStoreResource, reports: ReportsResource) -> dg.MaterializeResult:
    """k-means (cosine) on SessionBERT user embeddings, k by silhouette; generic BERT and TF-IDF swept beside it."""
    encoder = models.current(EMBEDDING_MODEL)
    with warehouse.get_connection() as con:
        users, vectors = latest_user_embeddings(con, encoder.version)
        sessions = read_sessions(con)
    with fail_on_too_little_data("user_segments"):
        ks = feasible_ks(config.k_min, config.k_max, len(users))
    sweep = silhouette_sweep(vectors, ks, seed=config.seed)
    documents = user_documents(sessions[sessions["user_id"].isin(users)], last_n=LAST_SESSIONS).reindex(users)
    tfidf = silhouette_sweep(tfidf_features(documents)[0], ks, seed=config.seed)
    generic = silhouette_sweep(generic_user_vectors(sessions, users, models.current("generic_bert").path),
                               ks, seed=config.seed)
    stored = save_segmentation(models.path, sweep.centroids, {"k": sweep.best_k, "sessionbert_version": encoder.version,
                                                               "silhouette": sweep.scores[sweep.best_k]})
    as_of = sessions["event_date"].max()
    frame = {"user_id": users, "cluster": sweep.labels.astype(int), "segmentation_version": stored.version,
             "sessionbert_version": encoder.version, "as_of_date": as_of}
    with warehouse.get_connection() as con:
        ensure_ml_tables(con)
        replace_rows(con, "user_segments", pd.DataFrame(frame))
        baselines = pd.concat([pd.DataFrame({"user_id": users, "method": name, "cluster": fit.labels.astype(int),
                                             "k": fit.best_k}) for name, fit in (("tfidf", tfidf), ("generic_bert", generic))])
        replace_rows(con, "baseline_segments", baselines)
    curves = {"SessionBERT": sweep.scores, "generic BERT": generic.scores, "TF-IDF of sequences": tfidf.scores}
    png = plot_silhouette_curves(curves, reports.plot_path("silhouette.png"))
    with mlflow.start_run("segments", run_name="user_segments", tags={"asset": "user_segments"}):
        import mlflow as ml

        ml.log_params({"k_min": config.k_min, "k_max": config.k_max, "users": len(users),
                       "sessionbert_version": encoder.version})
        for name, scores in curves.items():
            for k, score in scores.items():
                ml.log_metric(f"silhouette_{name.split()[0].lower().replace('-', '')}", score, step=k)
        ml.log_metrics({"best_k": sweep.best_k, "tfidf_best_k": tfidf.best_k, "generic_best_k": generic.best_k})
        ml.log_artifact(str(png), "plots")
    sizes = np.bincount(sweep.labels)
    return dg.MaterializeResult(metadata={
        "k": sweep.best_k, "silhouette": float(sweep.scores[sweep.best_k]), "tfidf_k": tfidf.best_k,
        "generic_bert_k": generic.best_k,
        "users": len(users), "segmentation_version": stored.version,
        **plot("silhouette_curves", png, "silhouette by k"),
        "cluster_sizes": table([{"cluster": c, "users": int(n)} for c, n in enumerate(sizes)]),
    })


@dg.asset(deps=[user_segments, *TASK_REFERENCE], group_name=GROUP, kinds={"python"}, pool=DUCKDB_POOL,
          automation_condition=retrain_condition())
def persona_map(context: dg.AssetExecutionContext, config: SegmentsConfig,
                warehouse: DuckDBResource) -> dg.MaterializeResult:
    """Each cluster tagged with the persona its top activities' tasks make most probable, else by its top services."""
    with warehouse.get_connection() as con:
        segments = read_user_segments(con)
        sessions = read_sessions(con)
        activity_tasks, personas = reference_maps(con)
        landed = read_landed_names(con)
    labelled = sessions.merge(segments, on="user_id")
    top = cluster_top_activities(labelled["activities"], labelled["cluster"], top_n=config.top_activities)
    landed_top = {c: landed.activity_counts(pairs) for c, pairs in top.items()}
    # Real logs come without reference inputs: label clusters by what their users do instead.
    by_definitions = bool(personas and activity_tasks)
    mapping = (map_clusters_to_personas(top, activity_tasks, personas) if by_definitions
               else label_clusters_by_activity(landed_top))
    rows = pd.DataFrame([{
        "cluster": int(c.cluster), "persona_tag": c.tag, "probability": c.probability,
        "probabilities": _json(c.probabilities), "mapped_share": c.mapped_share,
        "top_activities": _json([{"service": s, "page": p, "count": n} for s, p, n in landed_top[c.cluster][:5]]),
        "segmentation_version": segments["segmentation_version"].iloc[0],
    } for c in mapping.clusters.values()])
    with warehouse.get_connection() as con:
        ensure_ml_tables(con)
        replace_rows(con, "persona_map", rows)
    if mapping.lacking_signal:
        context.log.warning(f"personas no cluster takes (no signal in the data): {list(mapping.lacking_signal)}")
    return dg.MaterializeResult(metadata={
        "persona_map": table(rows[["cluster", "persona_tag", "probability", "mapped_share", "top_activities"]]
                             .to_dict("records")),
        "personas_lacking_signal": dg.MetadataValue.json(list(mapping.lacking_signal)),
        "clusters": len(rows), "labels": "persona definitions" if by_definitions else "top services and pages",
    })
