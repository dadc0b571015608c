"""The experiment drivers run every model and baseline on the same test examples."""

import dataclasses

import pandas as pd

from persona_dagster.sessionbert import experiments
from persona_dagster.sessionbert.examples import next_activity_examples, split_by_time
from persona_dagster.sessionbert.experiments import ExperimentConfig, compare_models, length_ablation
from persona_dagster.sessionbert.toy import toy_sessions
from persona_dagster.sessionbert.training import TrainConfig

FAST = ExperimentConfig(
    preset="tiny",
    max_len=64,
    pretrain=TrainConfig(batch_size=32, max_steps=4, cpu_threads=1),
    finetune=TrainConfig(batch_size=32, max_steps=4, cpu_threads=1),
)


def test_compare_models_scores_everything_on_one_test_set(tmp_path):
    train, test = split_by_time(toy_sessions(200, seed=4), quantile=0.75)
    report = compare_models(train, test, tmp_path, FAST)
    n = report["n_test_examples"]
    assert n > 0 and report["headline_metric"] == "weighted_f1"
    assert set(report["models"]) == {"sessionbert", "sessionbert_service_only", "sessionbert_page_only", "generic_bert",
                                     "sessionbert_without_markov_prior", "sessionbert_as_trained"}
    # Generic BERT is scored as trained; the validated weights are SessionBERT's.
    assert report["models"]["generic_bert"]["correction"] == {"service": 1.0, "page": 1.0}
    # The fine-tuning lr and the per-head correction weights came from validation on the later training
    # examples, not from the test set: every (lr, weight) was scored there.
    search = report["validation"]["search"]
    assert {(r["lr"], r["correction"]) for r in search} == {(lr, w) for lr in FAST.finetune_lrs
                                                           for w in FAST.correction_weights}
    assert (report["validation"]["chosen_finetune_lr"], report["validation"]["chosen_correction"]) == \
        _best_by_hand(search)
    assert report["models"]["sessionbert"]["correction"] == report["validation"]["chosen_correction"]
    # The prior mixes orders 1..prior_order with fitted weights; validation shows each order alone beside it.
    orders = report["validation"]["prior_order_search"]
    assert [r["prior_order"] for r in orders] == [*range(1, FAST.prior_order + 1), "mixture"]
    assert report["prior"]["order"] == FAST.prior_order
    assert {t: len(w) for t, w in report["prior"]["weights"].items()} == {"service": FAST.prior_order,
                                                                          "page": FAST.prior_order}
    assert report["validation"]["strongest_baseline"] in {"markov", "markov2"}
    assert set(report["baselines"]) == {"popularity", "markov", "markov2", "ngram_prior"}
    for task in ("service", "page"):
        for other in ("markov", "markov2"):
            diff = report["intervals"][task][f"sessionbert_minus_{other}"]
            assert diff["lo"] <= diff["value"] <= diff["hi"] and diff["n"] == n
        assert "markov2" in report["intervals"][task]
        assert "sessionbert_minus_ngram_prior" in report["intervals"][task]
    assert set(report["models"]["sessionbert_service_only"]["metrics"]) == {"service"}
    assert report["models"]["generic_bert"]["tokenizer"] == "generic"
    # The generic tokenizer's vocabulary is made of sub-words, so it is smaller.
    assert report["models"]["generic_bert"]["vocab_size"] < report["models"]["sessionbert"]["vocab_size"]
    scored = [m["metrics"] for m in report["models"].values()] + list(report["baselines"].values())
    assert all(metrics["n"] == n for by_task in scored for metrics in by_task.values())


def test_length_ablation_runs_each_length(tmp_path):
    train, test = split_by_time(toy_sessions(120, seed=5), quantile=0.75)
    results = length_ablation(train, test, tmp_path, FAST, lengths=(16, 32))
    assert sorted(results) == [16, 32]
    assert [results[n]["max_len"] for n in (16, 32)] == [16, 32]


def test_the_validation_encoder_never_sees_the_validation_sessions(tmp_path, monkeypatch):
    train, _ = split_by_time(toy_sessions(200, seed=4), quantile=0.75)
    examples = next_activity_examples(train)
    seen = []
    pretrain = experiments.pretrain_stage

    def spy(sessions, *args, **kwargs):
        seen.append(sessions)
        return pretrain(sessions, *args, **kwargs)

    monkeypatch.setattr(experiments, "pretrain_stage", spy)
    chosen, rows = experiments.choose_finetune_knobs(train, examples, tmp_path, FAST)
    _, fit, valid = experiments.validation_split(train, examples, FAST)
    [pretrained] = seen
    assert len(valid) and rows and all(r["pretrain_sessions"] == len(pretrained) for r in rows)
    # Every session the tokenizer and masked-LM saw starts before the first validation example,
    # and none is a validation example's session; every fit example's session is there.
    assert pd.to_datetime(pretrained["session_start"]).max() <= pd.to_datetime(valid["session_start"]).min()
    assert not set(pretrained["session_key"]) & set(valid["session_key"])
    assert set(fit["session_key"]) <= set(pretrained["session_key"])
    assert (chosen.finetune.lr, chosen.correction) == _best_by_hand(rows)
    # Validation scores every position of the validation sessions, not only their ends.
    assert all(r["valid_examples"] > r["valid_sessions"] == len(valid) for r in rows)


def _best_by_hand(rows):
    """The lr whose best weight per head gives the highest sum of the heads' F1, with those weights."""
    best = {}
    for lr in dict.fromkeys(r["lr"] for r in rows):
        picks = {t: max((r for r in rows if r["lr"] == lr), key=lambda r: (r[f"valid_{t}_weighted_f1"], r["correction"]))
                 for t in ("service", "page")}
        best[lr] = (sum(p[f"valid_{t}_weighted_f1"] for t, p in picks.items()), {t: p["correction"] for t, p in picks.items()})
    lr = max(best, key=lambda x: best[x][0])
    return lr, best[lr][1]


def test_without_the_prior_ablation_the_row_is_left_out_and_nothing_else_changes(tmp_path):
    train, test = split_by_time(toy_sessions(120, seed=5), quantile=0.75)
    report = compare_models(train, test, tmp_path, dataclasses.replace(FAST, prior_ablation=False))
    assert "sessionbert_without_markov_prior" not in report["models"]
    assert {"sessionbert", "sessionbert_service_only", "sessionbert_page_only", "generic_bert",
            "sessionbert_as_trained"} == set(report["models"])
    assert all("sessionbert_without_markov_prior" not in by_task for by_task in report["intervals"].values())


def test_without_the_task_ablation_only_the_multi_task_model_is_fine_tuned(tmp_path):
    train, test = split_by_time(toy_sessions(120, seed=5), quantile=0.75)
    config = dataclasses.replace(FAST, prior_ablation=False, task_ablation=False)
    report = compare_models(train, test, tmp_path, config)
    assert {"sessionbert", "sessionbert_as_trained", "generic_bert"} == set(report["models"])
    assert set(report["models"]["sessionbert"]["metrics"]) == {"service", "page"}
