"""The transition prior: n-gram back-off and smoothing, the fitted mixture of orders, an untrained model predicts what the
count model does, round trips."""

import json

import numpy as np
import pandas as pd
import pytest
import torch

from persona_dagster.sessionbert.baselines import MarkovBaseline
from persona_dagster.sessionbert.examples import next_activity_examples, split_by_time
from persona_dagster.sessionbert.finetune import (
    finetune_next_activity,
    predict_at_corrections,
    predict_next_activity,
    predict_topk,
)
from persona_dagster.sessionbert.labels import LabelVocab
from persona_dagster.sessionbert.markov_prior import (
    PRIOR_FILE, SMOOTHING, NgramPrior, transition_log_priors, transition_vocabs,
)
from persona_dagster.sessionbert.next_activity import HEADS_FILE, NextActivityModel
from persona_dagster.sessionbert.sessions import service_of
from persona_dagster.sessionbert.tokenizer import train_tokenizer
from persona_dagster.sessionbert.toy import toy_sessions
from persona_dagster.sessionbert.training import TrainConfig

HISTORIES = [["a;1", "b;1"], ["c;1", "b;1"], ["a;1", "b;1"], ["b;1"]]
TARGETS = ["c;1", "a;2", "c;1", "a;2"]
VOCABS = {"page": LabelVocab.build(TARGETS + ["b;1"]), "service": LabelVocab.build([t.split(";")[0] for t in TARGETS])}
ZERO_LR = TrainConfig(max_steps=1, lr=0.0, max_len=64, cpu_threads=1)


def _p(prior: NgramPrior, history: list[str], task: str = "page") -> dict[str, float]:
    return dict(zip(prior.labels[task], prior.probabilities(history)[task]))


def test_ngram_probabilities_sum_to_one_and_back_off():
    first, second = (NgramPrior.fit(HISTORIES, TARGETS, VOCABS, order, mixture=False) for order in (1, 2))
    for prior in (first, second, NgramPrior.fit(HISTORIES, TARGETS, VOCABS, 2)):
        for history in [*HISTORIES, ["x;9"], ["x;9", "b;1"], ["never;seen", "again;no"]]:
            for task, p in prior.probabilities(history).items():
                assert p.sum() == pytest.approx(1.0) and (p > 0).all(), (history, task)
    # (a;1, b;1) was followed by c;1 twice: the second order is surer of it than the first order (b;1 -> c;1 2 of 4).
    assert _p(second, ["a;1", "b;1"])["c;1"] > _p(first, ["a;1", "b;1"])["c;1"]
    # An unseen pair backs off to its last activity exactly: (x;9, b;1) is never seen, b;1 is.
    assert _p(second, ["x;9", "b;1"]) == pytest.approx(_p(first, ["b;1"]))
    # An unseen last activity backs off to the (add-one) label shares, at either order.
    shares = _p(first, ["never;seen"])
    assert _p(second, ["never;seen", "again;no"]) == pytest.approx(shares)
    counts = second.label_counts["page"]
    assert list(shares.values()) == pytest.approx(list((counts + 1) / (counts.sum() + counts.size)))
    # The smoothing, by hand: b;1 was followed by c;1, a;2, c;1, a;2 (4 times), plus one pseudo-count of the shares.
    assert _p(first, ["b;1"])["c;1"] == pytest.approx((2 + SMOOTHING * shares["c;1"]) / (4 + SMOOTHING))


def test_a_training_example_does_not_see_its_own_session_in_the_prior():
    prior = NgramPrior.fit(HISTORIES, TARGETS, VOCABS, 2, mixture=False)
    # (c;1, b;1) occurs only in the second session: left out, that example sees the first-order prior
    # of b;1 counted without its own transitions (c;1 -> b;1 -> a;2).
    own = prior.probabilities(["c;1", "b;1"], own_session=["c;1", "b;1", "a;2"])["page"]
    without = NgramPrior.fit([h for i, h in enumerate(HISTORIES) if i != 1],
                             [t for i, t in enumerate(TARGETS) if i != 1], VOCABS, 2, mixture=False)
    assert own == pytest.approx(without.probabilities(["c;1", "b;1"])["page"])
    log_probs = prior.log_probs(HISTORIES, own_sessions=[[*h, t] for h, t in zip(HISTORIES, TARGETS)])["page"]
    assert log_probs.shape == (4, len(VOCABS["page"])) and log_probs.dtype == torch.float32
    assert torch.allclose(log_probs[1].exp().double(), torch.from_numpy(own))


def test_each_head_reads_the_context_of_its_own_order_and_the_orders_round_trip():
    mixed = NgramPrior.fit(HISTORIES, TARGETS, VOCABS, {"page": 2, "service": 1}, mixture=False)
    first, second = (NgramPrior.fit(HISTORIES, TARGETS, VOCABS, o, mixture=False) for o in (1, 2))
    assert mixed.orders == {"page": 2, "service": 1} and mixed.order == 2
    for history in (["c;1", "b;1"], ["a;1", "b;1"], ["b;1"], ["zz;9"]):
        assert mixed.probabilities(history)["page"] == pytest.approx(second.probabilities(history)["page"])
        assert mixed.probabilities(history)["service"] == pytest.approx(first.probabilities(history)["service"])
    loaded = NgramPrior.from_json(json.loads(json.dumps(mixed.to_json())))
    assert loaded.orders == mixed.orders
    old = {k: v for k, v in second.to_json().items() if k != "orders"}  # saved before per-head orders
    assert NgramPrior.from_json(old).orders == {"page": 2, "service": 2}
    with pytest.raises(ValueError, match="order >= 1"):
        NgramPrior.fit(HISTORIES, TARGETS, VOCABS, {"page": 0, "service": 1})


def test_an_earlier_position_does_not_see_its_session_either():
    prior = NgramPrior.fit(HISTORIES, TARGETS, VOCABS, 2, mixture=False)
    without = NgramPrior.fit([h for i, h in enumerate(HISTORIES) if i != 1],
                             [t for i, t in enumerate(TARGETS) if i != 1], VOCABS, 2, mixture=False)
    session = [*HISTORIES[1], TARGETS[1]]
    for cut in range(1, len(session)):
        own = prior.probabilities(session[:cut], own_session=session)
        for task, p in without.probabilities(session[:cut]).items():
            assert own[task] == pytest.approx(p)
    with pytest.raises(ValueError, match="start with the history"):
        prior.probabilities(["b;1"], own_session=session)


def test_ngram_prior_round_trips_through_json(tmp_path):
    prior = NgramPrior.fit(HISTORIES, TARGETS, VOCABS, 2)
    prior.save(tmp_path)
    loaded = NgramPrior.load(tmp_path)
    assert loaded.order == 2 and loaded.labels == prior.labels
    assert {t: w.tolist() for t, w in loaded.weights.items()} == {t: w.tolist() for t, w in prior.weights.items()}
    for history in [*HISTORIES, ["x;9", "b;1"]]:
        for task in prior.tasks:
            assert np.array_equal(loaded.probabilities(history)[task], prior.probabilities(history)[task])
    data = json.loads((tmp_path / PRIOR_FILE).read_text())
    # Saved before the mixture: no weights, the longest order alone.
    unmixed = NgramPrior.from_json({k: v for k, v in data.items() if k != "weights"})
    alone = NgramPrior.fit(HISTORIES, TARGETS, VOCABS, 2, mixture=False)
    assert unmixed.weights is None
    assert unmixed.probabilities(["a;1", "b;1"])["page"] == pytest.approx(alone.probabilities(["a;1", "b;1"])["page"])
    data["format"] = 99
    with pytest.raises(ValueError, match="format"):
        NgramPrior.from_json(data)


def _held_out_log_likelihood(prior: NgramPrior, sessions: list[list[str]], task: str = "page") -> float:
    """Mean log P of every transition, each scored with its own session left out (what the weights maximise)."""
    total, n = 0.0, 0
    for session in sessions:
        for cut in range(1, len(session)):
            p = prior.probabilities(session[:cut], own_session=session)[task]
            label = session[cut] if task == "page" else service_of(session[cut])
            total += float(np.log(p[prior.labels[task].index(label)]))
            n += 1
    return total / n


def test_the_mixture_weights_the_order_whose_context_decides_the_next_activity():
    # After x;1 the next page is b;1 or d;1 half the time each; the page before x;1 decides which.
    sessions = [["a;1", "x;1", "b;1"], ["c;1", "x;1", "d;1"]] * 20 + [["a;1", "b;1"], ["c;1", "d;1"]] * 5
    histories, targets = [s[:-1] for s in sessions], [s[-1] for s in sessions]
    vocabs = transition_vocabs(histories, targets, ("service", "page"))
    mixed = NgramPrior.fit(histories, targets, vocabs, 2)
    w1, w2 = mixed.weights["page"]
    assert w2 > w1 and w2 > 0.5
    assert _p(mixed, ["a;1", "x;1"])["b;1"] > 0.8 > _p(NgramPrior.fit(histories, targets, vocabs, 1), ["a;1", "x;1"])["b;1"]
    # Held out, the mixture is at least as likely as either order alone (each is a point of the mixture's search).
    alone = {o: NgramPrior.fit(histories, targets, vocabs, o, mixture=False) for o in (1, 2)}
    assert _held_out_log_likelihood(mixed, sessions) >= max(_held_out_log_likelihood(a, sessions) for a in alone.values())


def test_on_generated_sessions_the_mixture_is_held_out_at_least_as_likely_as_any_order():
    examples = next_activity_examples(toy_sessions(150, seed=3))
    histories, targets = list(examples["history"]), list(examples["next_page"])
    sessions = [[*h, t] for h, t in zip(histories, targets)]
    vocabs = transition_vocabs(histories, targets, ("service", "page"))
    mixed = NgramPrior.fit(histories, targets, vocabs, 3)
    assert set(mixed.weights) == {"service", "page"} and all(len(w) == 3 for w in mixed.weights.values())
    for task in ("service", "page"):
        best_alone = max(_held_out_log_likelihood(NgramPrior.fit(histories, targets, vocabs, o, mixture=False),
                                                  sessions, task) for o in (1, 2, 3))
        assert _held_out_log_likelihood(mixed, sessions, task) >= best_alone - 1e-9


@pytest.fixture(scope="module")
def toy():
    train, test = split_by_time(next_activity_examples(toy_sessions(300, seed=2)), quantile=0.7)
    tokenizer = train_tokenizer(list(train["text"]) + list(test["text"]), 1000)
    return train, test, tokenizer


def test_before_training_the_prior_makes_the_model_predict_like_markov(toy, tmp_path):
    train, test, tokenizer = toy
    # lr 0 leaves the zero-initialised heads at zero: the logits are the prior alone.
    tuned = finetune_next_activity(train, tokenizer, tmp_path, None, ZERO_LR, preset="tiny", prior_order=1)
    model = tuned.model.eval()
    ours = predict_next_activity(model, tokenizer, list(test["text"]))
    markov = MarkovBaseline().fit(train).predict(test)
    # The prior is smoothed, so a predecessor seen once may tie differently; nearly every prediction agrees.
    for task in ("service", "page"):
        agree = sum(a == b for a, b in zip(ours[task], markov[task])) / len(test)
        assert agree > 0.9, (task, agree)
    loaded = NextActivityModel.from_pretrained(tuned.model_dir).eval()
    assert loaded.prior_tasks == ("service", "page") and loaded.ngram.order == 1
    assert predict_next_activity(loaded, tokenizer, list(test["text"])) == ours
    without = finetune_next_activity(train, tokenizer, tmp_path / "plain", None, ZERO_LR, preset="tiny",
                                     markov_prior=False)
    assert without.model.prior_tasks == () and without.model.ngram is None
    assert isinstance(pd.DataFrame(ours), pd.DataFrame)


def test_a_second_order_model_starts_at_its_count_model_and_round_trips(toy, tmp_path):
    train, test, tokenizer = toy
    tuned = finetune_next_activity(train, tokenizer, tmp_path, None, ZERO_LR, preset="tiny", prior_order=2)
    texts = list(test["text"])
    ours = predict_next_activity(tuned.model, tokenizer, texts)
    # Each prediction is a most likely label of the second-order count model (ties may break either way).
    for task in ("service", "page"):
        labels = tuned.model.ngram.labels[task]
        for history, label in zip(test["history"], ours[task]):
            p = tuned.model.ngram.probabilities(history)[task]
            assert p[labels.index(label)] == pytest.approx(p[1:].max(), rel=1e-5)
    assert (tuned.model_dir / PRIOR_FILE).exists()
    assert json.loads((tuned.model_dir / HEADS_FILE).read_text())["prior_order"] == {"service": 2, "page": 2}
    loaded = NextActivityModel.from_pretrained(tuned.model_dir)
    assert loaded.ngram.order == 2
    assert predict_topk(loaded, tokenizer, texts, k=3) == predict_topk(tuned.model, tokenizer, texts, k=3)
    with pytest.raises(ValueError, match="prior_log_probs"):
        batch = tokenizer(texts[:2], padding=True, return_tensors="pt")
        loaded(batch["input_ids"], batch["attention_mask"])


def test_checkpoints_with_the_older_first_order_table_still_load_and_predict(toy, tmp_path):
    train, test, tokenizer = toy
    plain = finetune_next_activity(train, tokenizer, tmp_path / "plain", None, ZERO_LR, preset="tiny",
                                   markov_prior=False).model
    tables = transition_log_priors(list(train["history"]), list(train["next_page"]), tokenizer, plain.vocabs,
                                   plain.encoder.config.vocab_size)
    old = NextActivityModel(plain.encoder, plain.vocabs, plain.pooling, max_len=64, priors=tables)
    old.save_pretrained(tmp_path / "old")
    tokenizer.save_pretrained(tmp_path / "old")
    meta_path = tmp_path / "old" / HEADS_FILE
    meta = json.loads(meta_path.read_text())
    del meta["prior"]  # what a checkpoint saved before the n-gram prior holds
    meta_path.write_text(json.dumps(meta))
    loaded = NextActivityModel.from_pretrained(tmp_path / "old")
    assert loaded.ngram is None and torch.equal(loaded.prior_service, tables["service"])
    texts = list(test["text"])
    assert predict_topk(loaded, tokenizer, texts, k=2) == predict_topk(old, tokenizer, texts, k=2)
    markov = MarkovBaseline().fit(train).predict(test)
    agree = sum(a == b for a, b in zip(predict_next_activity(loaded, tokenizer, texts)["page"], markov["page"]))
    assert agree / len(texts) > 0.9


def test_label_vocabulary_holds_every_page_that_follows_another_not_only_session_ends():
    # "db;query" only ever happens mid-session: a vocabulary of the targets (session ends) misses it,
    # and then neither the heads nor the prior could ever predict it where a Markov chain would.
    histories = [["ecs;list", "db;query"], ["ecs;list", "db;query", "ecs;list"], ["oss;home"]]
    targets = ["oss;upload", "oss;upload", "ecs;list"]
    vocabs = transition_vocabs(histories, targets, ("service", "page"))
    assert set(vocabs["page"].labels[1:]) == {"db;query", "ecs;list", "oss;upload"}
    assert "oss;home" not in vocabs["page"].labels  # a first activity follows nothing
    assert set(vocabs["service"].labels[1:]) == {"db", "ecs", "oss"}
    prior = NgramPrior.fit(histories, targets, vocabs, 1)
    assert prior.predict([["ecs;list"]])["page"] == ["db;query"]


def test_at_correction_weight_zero_a_trained_model_predicts_its_prior_and_the_weight_round_trips(toy, tmp_path):
    train, test, tokenizer = toy
    trained = TrainConfig(max_steps=20, lr=5e-3, max_len=64, cpu_threads=1)
    tuned = finetune_next_activity(train, tokenizer, tmp_path, None, trained, preset="tiny", prior_order=2)
    model, texts = tuned.model.eval(), list(test["text"])
    as_trained = predict_next_activity(model, tokenizer, texts)
    model.correction.update(page=0.0)
    ours = predict_next_activity(model, tokenizer, texts)
    # page: the prior's most likely label (ties aside); service keeps its trained correction.
    labels = model.ngram.labels["page"]
    for history, label in zip(test["history"], ours["page"]):
        p = model.ngram.probabilities(history)["page"]
        assert p[labels.index(label)] == pytest.approx(p[1:].max(), rel=1e-5)
    assert ours["service"] == as_trained["service"]
    # The trained correction did change some page prediction, so weight 0 is not a no-op here.
    assert ours["page"] != as_trained["page"]
    model.save_pretrained(tmp_path / "saved")
    loaded = NextActivityModel.from_pretrained(tmp_path / "saved").eval()
    assert loaded.correction == {"service": 1.0, "page": 0.0}
    assert predict_next_activity(loaded, tokenizer, texts) == ours


def test_one_pass_at_several_correction_weights_equals_predicting_at_each(toy, tmp_path):
    train, test, tokenizer = toy
    trained = TrainConfig(max_steps=20, lr=5e-3, max_len=64, cpu_threads=1)
    model = finetune_next_activity(train, tokenizer, tmp_path, None, trained, preset="tiny", prior_order=2).model.eval()
    texts = list(test["text"])
    at = predict_at_corrections(model, tokenizer, texts, [0.0, 0.5, 1.0])
    for weight in (0.0, 0.5, 1.0):
        model.correction.update({t: weight for t in model.correction})
        assert at[weight] == predict_next_activity(model, tokenizer, texts), weight
    assert at[0.0]["page"] != at[1.0]["page"]  # the weights give different answers: the test can tell them apart
