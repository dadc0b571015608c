"""Model assets end to end on a small generated dataset: real training, MLflow, embeddings, personas, recommendations."""

import datetime as dt
import json

import dagster as dg
import mlflow
import numpy as np
import pytest

from tests.foundation.pipeline_fixtures import DAY1, data_dir, materialize, query

from persona_dagster.model_store import current
from persona_dagster.sessionbert.next_activity import HEADS_FILE
from persona_dagster.synth.generator import SynthConfig, generate
from persona_dagster.tracking import sqlite_tracking_uri

pytestmark = pytest.mark.slow


NEW_USER = "u-new-arrival"
# Four days train (the recommendation protocol needs train, validation and test days), a fifth lands late.
LAST_TRAINED, LATE_DAY = dt.date(2026, 1, 4), dt.date(2026, 1, 5)


def _land_a_new_user(root):
    """Day 3 also brings a user never seen before: a copy of another user's day under a new id."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    from persona_dagster.landing.writer import write_day

    late = next((root / "landing" / f"dt={LATE_DAY}").glob("*.parquet"))
    table = pq.read_table(late)
    copy = table.filter(pc.equal(table["user_id"], table["user_id"][0]))
    copy = copy.set_column(copy.schema.get_field_index("user_id"), "user_id", pa.array([NEW_USER] * copy.num_rows))
    copy = copy.set_column(copy.schema.get_field_index("event_id"), "event_id",
                           pc.binary_join_element_wise("new-", copy["event_id"], ""))
    write_day(root / "landing", LATE_DAY, copy, fmt="parquet", name="late-new-user")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """Days 1-4 through every asset; then day 5 (with a brand-new user) through the daily assets only."""
    root = tmp_path_factory.mktemp("models")
    generate(SynthConfig(users=30, days=5, seed=5, fmt="parquet"), root)
    _land_a_new_user(root)
    materialize(root, DAY1, LAST_TRAINED, groups=None)
    from persona_dagster.definitions import defs

    graph = defs.resolve_asset_graph()
    daily = {k for k in graph.materializable_asset_keys if graph.get(k).partitions_def is not None}
    marts = {k for k in graph.materializable_asset_keys if k.path[-1] in ("user_personas", "service_recommendations",
                                                                           "induced_personas") and k.path[0] == "marts"}
    with data_dir(root):
        from persona_dagster.runner import materialize_days

        results = materialize_days(LATE_DAY, LATE_DAY, instance=dg.DagsterInstance.ephemeral(), log_level="WARNING",
                                   selection=daily | marts)
    assert all(r.success for r in results)
    return root


def _materializations(results, name):
    return [e.materialization for r in results for e in r.get_asset_materialization_events()
            if e.materialization.asset_key.path[-1] == name]


def test_models_are_published_registered_and_tracked(built):
    client = mlflow.MlflowClient(sqlite_tracking_uri(built / "mlflow.db"))
    runs = client.search_runs([client.get_experiment_by_name("sessionbert").experiment_id])
    assert {r.info.run_name for r in runs} >= {"session_tokenizer", "sessionbert_mlm", "next_activity_model",
                                                "next_activity_evaluation"}
    assert all(r.info.status == "FINISHED" for r in runs)
    mlm_run = next(r for r in runs if r.info.run_name == "sessionbert_mlm")
    loss = client.get_metric_history(mlm_run.info.run_id, "loss")
    assert len(loss) >= 2 and loss[-1].value < loss[0].value, "MLM loss went down"
    assert client.search_model_versions("name = 'sessionbert'") and client.search_model_versions("name = 'next_activity'")
    model = current(built / "models", "sessionbert")
    assert (model.path / "model.safetensors").exists() and (model.path / "tokenizer.json").exists()
    assert not list(model.path.rglob("*.bin")) and not list(model.path.rglob("*.pt")), "weights are safetensors only"
    # The serving model carries the correction weights its held-out sessions chose, one per head.
    served = json.loads((current(built / "models", "next_activity").path / HEADS_FILE).read_text())
    assert set(served["correction"]) == {"service", "page"} and set(served["correction"].values()) <= {0.0, 0.5, 1.0}


def test_evaluation_report_compares_against_baselines(built):
    report = json.loads((built / "reports" / "next_activity.json").read_text())
    models = {row["model"] for row in report["comparison"]}
    assert models == {"sessionbert", "sessionbert_service_only", "sessionbert_page_only", "generic_bert",
                      "sessionbert_without_markov_prior", "sessionbert_as_trained", "popularity", "markov", "markov2",
                      "ngram_prior"}
    assert [row["max_len"] for row in report["length_ablation"]["rows"]] == [64, 128]
    assert report["dataset"]["train_sessions"] > report["dataset"]["test_sessions"] > 0
    # Each head's correction weight came from validation rows, and the multi-task row was scored with it.
    chosen, search = report["validation"]["chosen_correction"], report["validation"]["search"]
    assert set(chosen) == {"service", "page"} and {r["correction"] for r in search} == {0.0, 0.5, 1.0}


def test_every_session_gets_one_embedding_and_a_rerun_embeds_nothing(built):
    version = current(built / "models", "sessionbert_user").version
    missing = query(built, """select count(*) from marts.session_sequences s
                              left join embeddings.session_embeddings e using (session_key)
                              where e.session_key is null""")[0][0]
    assert missing == 0
    assert query(built, "select count(*), count(distinct session_key), min(model_version), max(model_version), "
                        "min(len(embedding)) from embeddings.session_embeddings")[0][2:] == (version, version, 32)
    with data_dir(built):
        from persona_dagster.runner import materialize_days

        results = materialize_days(DAY1, dt.date(2026, 1, 2), instance=dg.DagsterInstance.ephemeral(), log_level="WARNING",
                                   selection={dg.AssetKey("session_embeddings")})
    (event,) = [m for m in _materializations(results, "session_embeddings") if m.partition == DAY1.isoformat()]
    assert event.metadata["embedded_now"].value == 0
    assert event.metadata["already_embedded"].value > 0


def test_user_vector_is_the_mean_of_the_last_eight_sessions(built):
    user, as_of, vector = query(built, """select user_id, as_of_date, embedding from embeddings.user_embeddings
                                          order by n_sessions desc, user_id limit 1""")[0]
    sessions = query(built, """select embedding from embeddings.session_embeddings
                               where user_id = ? and event_date <= ?
                               order by session_start desc, session_key desc limit 8""", [user, as_of])
    expected = np.mean([np.asarray(s[0]) for s in sessions], axis=0)
    np.testing.assert_allclose(np.asarray(vector), expected, rtol=1e-5, atol=1e-6)


def test_every_user_has_one_persona_and_new_users_are_assigned_without_reclustering(built):
    personas = dict(query(built, "select user_id, persona from marts.user_personas"))
    assert NEW_USER in personas
    assert query(built, "select count(distinct segmentation_version) from marts.user_personas")[0][0] == 1
    defined = {r[0] for r in query(built, "select persona from raw.personas")}
    for tag in set(personas.values()):
        assert tag == "unmapped" or set(tag.split(" + ")) <= defined, tag
    users_with_embeddings = query(built, "select count(distinct user_id) from embeddings.user_embeddings")[0][0]
    assert len(personas) == users_with_embeddings


def test_recommendations_are_new_services_ranked_from_one(built):
    used = query(built, """select count(*) from marts.service_recommendations r join marts.user_service_adoption a
                           on a.user_id = r.user_id and a.service = r.service and a.first_used_date <= r.as_of_date""")
    assert used[0][0] == 0
    ranks = query(built, "select user_id, list(rank order by rank) from marts.service_recommendations group by 1")
    assert ranks and all(r == list(range(1, len(r) + 1)) and len(r) <= 5 for _, r in ranks)


def test_every_active_user_gets_five_new_services_with_a_reason(built):
    lists = query(built, """select r.user_id, count(*), bool_and(length(r.reason) > 0),
                                   (select count(distinct service) from marts.user_service_adoption) -
                                   (select count(*) from marts.user_service_adoption a
                                    where a.user_id = r.user_id and a.first_used_date <= any_value(r.as_of_date))
                            from marts.service_recommendations r group by r.user_id""")
    assert lists and all(has_reason for _, _, has_reason, _ in lists)
    assert all(n == min(5, unused) for _, n, _, unused in lists), "a short list although unused services exist"
    landed = {r[0] for r in query(built, "select distinct service from staging.stg_clickstream__events")}
    assert {r[0] for r in query(built, "select distinct service from marts.service_recommendations")} <= landed


def test_recommendation_report_scores_the_model_beside_both_baselines(built):
    report = json.loads((built / "reports" / "recommendations.json").read_text())
    (split,) = report["splits"]
    assert split["seen_days"] == 3 and split["scored_users"] > 0
    for name in ("sessionbert", "sessionbert_rule", "sessionbert_rule_rec2_names", "sessionbert_rule_rec3_descriptions",
                 "popularity", "item_knn"):
        assert 0.0 <= split[name]["hit@3"] <= split[name]["hit@5"] <= 1.0
        low, high = split[name]["hit@5_ci"]
        assert low <= split[name]["hit@5"] <= high and split[name]["n"] == split["scored_users"]
    assert split["protocol"]["learns_from_for_test"] == f"days <= {split['last_seen']}"
    assert split["chosen_knobs"] and split["validation"]
    assert {row["embedding"] for row in report["clustering"]} == {"sessionbert", "generic_bert", "tfidf"}
    assert report["tailoring"][-1]["persona_tag"] == "all"


def test_induced_personas_cite_real_memories_and_carry_their_scores(built):
    rows = query(built, """select user_id, label, evidence_memory_ids, truthfulness, final_score, policy_version
                           from marts.induced_personas""")
    assert rows and len({r[0] for r in rows}) == 8
    segments = {r[0]: r[1] for r in query(built, "select segment_id, user_id from marts.intent_segments")}
    for user, label, evidence, truthfulness, final, _ in rows:
        assert evidence and all(segments[m] == user for m in evidence), "evidence is the user's own"
        # The tiny test policy can write a persona without a label: it must then be worth nothing.
        assert label or final == 0.0, "an unlabelled persona carries a positive score"
        assert 0.0 <= truthfulness <= 1.0 and 0.0 <= final <= 1.0
    assert len({r[5] for r in rows}) == 1


def test_persona_report_compares_writers_against_popularity(built):
    report = json.loads((built / "reports" / "persona_induction.json").read_text())
    writers = {row["writer"]: row for row in report["writers"]}
    # The tiny test backbone has no zero-shot writer (it is not pretrained); the user's own history is a baseline.
    assert set(writers) == {"popularity", "own_history", "heuristic_writer", "pi0", "pi_theta"}
    hits = [k for k in writers["popularity"] if k.startswith("hit@") and "_" not in k]
    assert hits and all(0.0 <= row[k] <= 1.0 for row in writers.values() for k in hits if row.get(k) is not None)
    assert all(0.0 <= writers[w]["training_score"] <= 1.0 for w in ("heuristic_writer", "pi0", "pi_theta"))
    client = mlflow.MlflowClient(sqlite_tracking_uri(built / "mlflow.db"))
    (run,) = client.search_runs([client.get_experiment_by_name("personas").experiment_id],
                                "attributes.run_name = 'persona_policy'")
    assert {"dpo_mean_quality", "dpo_reward_accuracy", "heuristic_writer_mean_quality"} <= set(run.data.metrics)
    assert client.search_model_versions("name = 'persona_policy'")


def test_retraining_with_the_same_vocabulary_warm_starts_from_the_current_model(built):
    before = current(built / "models", "sessionbert").version
    with data_dir(built):
        from persona_dagster.runner import materialize_days
        from tests.foundation.pipeline_fixtures import TINY_MODELS

        results = materialize_days(DAY1, LATE_DAY, instance=dg.DagsterInstance.ephemeral(), log_level="WARNING",
                                   selection={dg.AssetKey("sessionbert_mlm")}, asset_config=TINY_MODELS)
    (event,) = _materializations(results, "sessionbert_mlm")
    assert event.metadata["warm_started_from"].value == before
