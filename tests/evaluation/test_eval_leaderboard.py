"""The leaderboard: hand-made reports of every shape in, (dataset, task, metric, model, value, lo, hi, n) rows out."""

import json

import dagster as dg

from persona_dagster.evaluation.leaderboard import COLUMNS, build_leaderboard, leaderboard_rows, recommendation_rows
from persona_dagster.reports import write_report
from persona_dagster.settings import DATA_DIR_ENV

RECOMMENDATIONS = {
    "splits": [{
        "seen_days": 6, "scored_users": 40,
        "sessionbert": {"hit@5": 0.7, "hit@5_ci": [0.6, 0.8], "hit@3": 0.5, "hit@3_ci": [0.4, 0.6], "n": 40,
                        "hit@5_minus_popularity": {"mean": 0.1, "lo": 0.02, "hi": 0.18, "n": 40}},
        "popularity": {"hit@5": 0.6, "hit@5_ci": [0.5, 0.7], "hit@3": 0.45, "hit@3_ci": [0.3, 0.55], "n": 40},
        "chosen_knobs": {"hidden": 0}, "protocol": {"train": ".. 2026-01-04"},
    }],
    "clustering": [{"embedding": "tfidf", "k": 8, "ari": 0.9, "nmi": 0.85, "persona_tag_accuracy": 0.95}],
}
NEXT_ACTIVITY = {
    "headline_metric": "weighted_f1",
    "comparison": [{"model": "sessionbert", "service_weighted_f1": 0.8, "service_accuracy": 0.82, "page_weighted_f1": 0.7},
                   {"model": "sessionbert_service_only", "service_weighted_f1": 0.79},
                   {"model": "markov", "service_weighted_f1": 0.75, "page_weighted_f1": float("nan")}],
    "intervals": {"service": {"sessionbert": {"value": 0.8, "lo": 0.77, "hi": 0.83, "n": 500},
                              "markov": {"value": 0.75, "lo": 0.72, "hi": 0.78, "n": 500},
                              "sessionbert_minus_markov": {"value": 0.05, "lo": 0.01, "hi": 0.09, "n": 500}}},
    "length_ablation": {"rows": [{"max_len": 64, "service_weighted_f1": 0.6, "page_weighted_f1": 0.5,
                                  "heldout_perplexity": 12.0, "sessions_truncated": 0.3}]},
}
PERSONAS = {
    "writers": [{"writer": "pi_theta", "task_f1": 0.7, "task_f1_ci": [0.6, 0.8], "task_f1_n": 12,
                 "hit@5": 0.4, "hit@5_ci": [0.1, 0.7], "hit@5_n": 10}],
    "differences": {"pi_theta_minus_pi0": {"task_f1": {"mean": 0.01, "lo": 0.0, "hi": 0.03, "n": 12}}},
}
DRIFT = {"metrics": {"precision": 0.5, "recall": None, "f1": None, "true_positives": 2, "false_positives": 2,
                     "false_negatives": 1, "evaluated_users": 30}}


def _row(rows, **match):
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, found)
    return found[0]


def test_recommendation_rows_carry_intervals_n_and_paired_differences():
    rows = leaderboard_rows({"default": {"recommendations": RECOMMENDATIONS}})
    task = "new_service (seen_days=6)"
    assert _row(rows, task=task, metric="hit@5", model="sessionbert") == {
        "dataset": "default", "task": task, "metric": "hit@5", "model": "sessionbert",
        "value": 0.7, "lo": 0.6, "hi": 0.8, "n": 40}
    assert _row(rows, task=task, metric="hit@3", model="popularity")["lo"] == 0.3
    diff = _row(rows, metric="hit@5", model="sessionbert_minus_popularity")
    assert (diff["value"], diff["lo"], diff["hi"], diff["n"]) == (0.1, 0.02, 0.18, 40)
    ari = _row(rows, task="segmentation", metric="ari", model="tfidf")
    assert (ari["value"], ari["lo"], ari["hi"], ari["n"]) == (0.9, None, None, None)
    # Within a task and metric the best model comes first, paired differences after the models.
    hit5 = [r["model"] for r in rows if r["task"] == task and r["metric"] == "hit@5"]
    assert hit5 == ["sessionbert", "popularity", "sessionbert_minus_popularity"]
    assert len(rows) == 2 * 2 + 1 + 4  # two methods x two k, one difference, four clustering figures


def test_next_activity_rows_put_the_interval_on_the_headline_metric_only():
    rows = leaderboard_rows({"msnbc": {"next_activity": NEXT_ACTIVITY}})
    assert _row(rows, task="next_service", metric="weighted_f1", model="sessionbert") == {
        "dataset": "msnbc", "task": "next_service", "metric": "weighted_f1", "model": "sessionbert",
        "value": 0.8, "lo": 0.77, "hi": 0.83, "n": 500}
    accuracy = _row(rows, task="next_service", metric="accuracy", model="sessionbert")
    assert (accuracy["lo"], accuracy["n"]) == (None, 500)  # same test examples, no interval in the report
    assert _row(rows, task="next_service", model="sessionbert_service_only")["lo"] is None
    assert _row(rows, model="sessionbert_minus_markov")["lo"] == 0.01
    # A NaN figure (empty head) is not a row.
    assert not [r for r in rows if r["task"] == "next_page" and r["model"] == "markov"]
    assert _row(rows, task="next_page", model="sessionbert")["n"] is None  # no interval for pages: n unknown
    assert _row(rows, task="masked_lm", model="sessionbert_max_len_64")["value"] == 12.0
    assert _row(rows, task="next_service", model="sessionbert_max_len_64")["value"] == 0.6


def test_persona_and_drift_rows():
    rows = leaderboard_rows({"default": {"persona_induction": PERSONAS, "persona_drift": DRIFT, "other": {"x": 1}}})
    assert _row(rows, task="persona_induction", metric="task_f1", model="pi_theta") == {
        "dataset": "default", "task": "persona_induction", "metric": "task_f1", "model": "pi_theta",
        "value": 0.7, "lo": 0.6, "hi": 0.8, "n": 12}
    assert _row(rows, task="future_items", metric="hit@5", model="pi_theta")["n"] == 10
    assert _row(rows, model="pi_theta_minus_pi0")["hi"] == 0.03
    drift = [r for r in rows if r["task"] == "persona_switch_detection"]
    assert drift == [{"dataset": "default", "task": "persona_switch_detection", "metric": "precision",
                      "model": "persona_drift", "value": 0.5, "lo": None, "hi": None, "n": 4}]


def test_reports_are_read_from_the_data_dir_and_the_real_log_folders(tmp_path):
    reports = tmp_path / "reports"
    write_report(reports, "recommendations", RECOMMENDATIONS)
    write_report(reports / "real" / "msnbc", "next_activity", {**NEXT_ACTIVITY, "dataset": {"name": "msnbc"}})
    (reports / "notes.json").write_text("{}")  # not an evaluation report: ignored
    board = build_leaderboard(reports)
    assert board["columns"] == list(COLUMNS)
    assert board["datasets"] == ["default", "msnbc"]
    assert board["sources"] == ["recommendations.json", "real/msnbc/next_activity.json"]
    assert [r["dataset"] for r in board["rows"]][:1] == ["default"] and board["rows"][-1]["dataset"] == "msnbc"


def test_the_asset_writes_reports_leaderboard_json_and_shows_the_table(tmp_path, monkeypatch):
    from persona_dagster.defs.evaluation.leaderboard import leaderboard
    from persona_dagster.defs.resources import build_resources

    monkeypatch.setenv(DATA_DIR_ENV, str(tmp_path))
    write_report(tmp_path / "reports", "recommendations", RECOMMENDATIONS)
    # The reports resource of the data directory, as the code location builds it.
    result = dg.materialize([leaderboard], resources={"reports": build_resources()["reports"]})
    assert result.success
    written = json.loads((tmp_path / "reports" / "leaderboard.json").read_text())
    assert written["report"] == "leaderboard" and len(written["rows"]) == 9
    metadata = result.asset_materializations_for_node("leaderboard")[0].metadata
    assert "| dataset | task | metric | model | value | lo | hi | n |" in metadata["leaderboard"].value
    assert metadata["rows"].value == 9


def test_cluster_quality_rows_carry_the_reports_bootstrap_intervals():
    report = {"clustering": [{"embedding": "sessionbert", "k": 8, "ari": 0.97}, {"embedding": "tfidf", "k": 8, "ari": 0.93}],
              "clustering_intervals": {"ari": {
                  "sessionbert": {"value": 0.97, "lo": 0.94, "hi": 1.0, "n": 239},
                  "tfidf": {"value": 0.93, "lo": 0.88, "hi": 0.97, "n": 239},
                  "sessionbert_minus_tfidf": {"value": 0.04, "lo": -0.01, "hi": 0.10, "n": 239}}}}
    rows = {(r["metric"], r["model"]): r for r in recommendation_rows(report, "default")}
    assert rows[("ari", "sessionbert")]["lo"] == 0.94 and rows[("ari", "sessionbert")]["n"] == 239
    assert rows[("ari", "sessionbert_minus_tfidf")]["hi"] == 0.10
    assert rows[("k", "tfidf")]["value"] == 8 and rows[("k", "tfidf")]["lo"] is None  # no interval for k
    assert sum(1 for m, _ in rows if m == "ari") == 3  # each once: the interval row replaces the bare one

