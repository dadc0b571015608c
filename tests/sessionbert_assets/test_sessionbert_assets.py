"""SessionBERT assets end to end on a small generated dataset: real training, MLflow, warehouse embeddings."""

import json
import sys
from pathlib import Path

import dagster as dg
import mlflow
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "foundation"))
from pipeline_fixtures import DAY1, DAY2, data_dir, materialize, query  # noqa: E402

from persona_dagster.model_store import current  # noqa: E402
from persona_dagster.synth.generator import SynthConfig, generate  # noqa: E402
from persona_dagster.tracking import sqlite_tracking_uri  # noqa: E402

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("sessionbert")
    generate(SynthConfig(users=30, days=2, seed=5), root)
    materialize(root, DAY1, DAY2, groups=None)
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


def test_evaluation_report_compares_against_baselines(built):
    report = json.loads((built / "reports" / "next_activity.json").read_text())
    models = {row["model"] for row in report["comparison"]}
    assert models == {"sessionbert", "sessionbert_service_only", "sessionbert_page_only", "generic_bert",
                      "popularity", "markov"}
    assert [row["max_len"] for row in report["length_ablation"]["rows"]] == [64, 128]
    assert report["dataset"]["train_sessions"] > report["dataset"]["test_sessions"] > 0


def test_every_session_gets_one_embedding_and_a_rerun_embeds_nothing(built):
    version = current(built / "models", "sessionbert").version
    missing = query(built, """select count(*) from marts.session_sequences s
                              left join embeddings.session_embeddings e using (session_key)
                              where e.session_key is null""")[0][0]
    assert missing == 0
    assert query(built, "select count(*), count(distinct session_key), min(model_version), max(model_version), "
                        "min(len(embedding)) from embeddings.session_embeddings")[0][2:] == (version, version, 32)
    with data_dir(built):
        from persona_dagster.defs.materialize import materialize_days

        results = materialize_days(DAY1, DAY2, instance=dg.DagsterInstance.ephemeral(), log_level="WARNING",
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
