"""Next service/page fine-tuning on a predictable toy corpus beats popularity; models save and reload."""

import pandas as pd
import pytest
import torch

from persona_dagster.sessionbert.baselines import PopularityBaseline
from persona_dagster.sessionbert.evaluate import HEADLINE_METRIC, evaluate_predictions
from persona_dagster.sessionbert.examples import next_activity_examples, split_by_time
from persona_dagster.sessionbert.finetune import finetune_next_activity, predict_next_activity, predict_topk
from persona_dagster.sessionbert.labels import OTHER, LabelVocab
from persona_dagster.sessionbert.next_activity import NextActivityModel
from persona_dagster.sessionbert.pretrain import pretrain_mlm
from persona_dagster.sessionbert.tokenizer import train_tokenizer
from persona_dagster.sessionbert.toy import toy_sessions
from persona_dagster.sessionbert.training import TrainConfig


def test_examples_drop_the_last_activity_and_short_sessions():
    sessions = pd.DataFrame(
        {
            "session_key": ["a", "b"],
            "user_id": ["u", "u"],
            "session_start": pd.to_datetime(["2026-01-01", "2026-01-02"]),
            "sequence": [
                "[activity] x;1 [SEP] y;2 [SEP] z;3 [location_token] country:Japan",
                "[activity] x;1 [location_token] country:Japan",
            ],
        }
    )
    (row,) = next_activity_examples(sessions).to_dict("records")
    assert row["session_key"] == "a"
    assert row["history"] == ["x;1", "y;2"]
    assert row["text"] == "[activity] x;1 [SEP] y;2 [location_token] country:Japan"
    assert (row["next_page"], row["next_service"]) == ("z;3", "z")


def test_split_by_time_puts_the_latest_sessions_in_test():
    sessions = toy_sessions(100, seed=1)
    train, test = split_by_time(sessions, quantile=0.8)
    assert len(train) == 80 and len(test) == 20
    assert train["session_start"].max() < test["session_start"].min()
    train, test = split_by_time(sessions, cutoff="2026-01-16")
    assert (train["session_start"] < pd.Timestamp("2026-01-16")).all()
    assert (test["session_start"] >= pd.Timestamp("2026-01-16")).all()


def test_label_vocab_sends_unseen_labels_to_other():
    vocab = LabelVocab.build(["b", "a", "b", "c"], min_count=1)
    assert vocab.labels == (OTHER, "b", "a", "c")
    assert vocab.encode(["a", "zzz"]).tolist() == [2, 0]
    assert LabelVocab.build(["b", "a", "b"], min_count=2).labels == (OTHER, "b")


@pytest.fixture(scope="module")
def toy_split():
    sessions = toy_sessions(600, seed=0)
    train, test = split_by_time(sessions, quantile=0.8)
    return train, test, next_activity_examples(train), next_activity_examples(test), train_tokenizer(train["sequence"])


@pytest.fixture(scope="module")
def finetuned(toy_split, tmp_path_factory):
    train, _, train_examples, _, tok = toy_split
    out = tmp_path_factory.mktemp("sb_finetune")
    mlm = pretrain_mlm(
        list(train["sequence"]), tok, out / "mlm", TrainConfig(batch_size=32, max_steps=60, lr=3e-3, max_len=64, cpu_threads=1), preset="tiny"
    )
    cfg = TrainConfig(batch_size=32, max_steps=200, lr=3e-3, max_len=64, log_every=50, cpu_threads=1)
    return finetune_next_activity(train_examples, tok, out / "ft", mlm.model_dir, cfg)


def test_finetuned_model_beats_popularity(toy_split, finetuned):
    _, _, train_examples, test_examples, tok = toy_split
    model_scores = evaluate_predictions(predict_next_activity(finetuned.model, tok, list(test_examples["text"])), test_examples)
    popular_scores = evaluate_predictions(PopularityBaseline().fit(train_examples).predict(test_examples), test_examples)
    for task in ("service", "page"):
        assert model_scores[task]["n"] == popular_scores[task]["n"] == len(test_examples)
        assert model_scores[task][HEADLINE_METRIC] > popular_scores[task][HEADLINE_METRIC] + 0.05
        assert model_scores[task]["accuracy"] > popular_scores[task]["accuracy"]
    curve = [loss for _, loss in finetuned.train.loss_curve]
    assert curve[-1] < curve[0]


def test_saved_model_predicts_the_same(toy_split, finetuned):
    *_, test_examples, tok = toy_split
    texts = list(test_examples["text"])[:40]
    reloaded = NextActivityModel.from_pretrained(finetuned.model_dir)
    assert reloaded.max_len == 64 and reloaded.vocabs == finetuned.model.vocabs
    assert predict_topk(reloaded, tok, texts, k=3) == predict_topk(finetuned.model, tok, texts, k=3)


def test_topk_is_ranked_distinct_and_never_other(toy_split, finetuned):
    *_, test_examples, tok = toy_split
    top = predict_topk(finetuned.model, tok, list(test_examples["text"])[:20], k=5)
    top1 = predict_next_activity(finetuned.model, tok, list(test_examples["text"])[:20])
    for task in ("service", "page"):
        assert all(len(row) == 5 == len(set(row)) and OTHER not in row for row in top[task])
        assert [row[0] for row in top[task]] == top1[task]


def test_single_task_uses_the_same_code_with_one_head(toy_split, tmp_path):
    _, _, train_examples, test_examples, tok = toy_split
    cfg = TrainConfig(batch_size=32, max_steps=5, max_len=64, cpu_threads=1)
    result = finetune_next_activity(train_examples, tok, tmp_path, None, cfg, tasks=("service",), preset="tiny")
    assert list(result.model.heads) == ["service"]
    assert list(predict_next_activity(result.model, tok, list(test_examples["text"])[:3])) == ["service"]


def test_examples_from_a_mart_shaped_frame_keep_the_context():
    """marts.session_sequences has activities and sequence but no context column."""
    mart = pd.DataFrame(
        {
            "session_key": ["a"],
            "user_id": ["u"],
            "session_start": pd.to_datetime(["2026-01-01"]),
            "activities": [["x;1", "y;2"]],
            "sequence": ["[activity] x;1 [SEP] y;2 [daily_service_token] x y"],
        }
    )
    (row,) = next_activity_examples(mart).to_dict("records")
    assert row["text"] == "[activity] x;1 [daily_service_token] x y"


def test_finetuning_resumes_from_its_checkpoint(toy_split, tmp_path):
    _, _, train_examples, _, tok = toy_split
    cfg = TrainConfig(batch_size=32, max_steps=6, max_len=64, log_every=1, checkpoint_every=2, cpu_threads=1)
    full = finetune_next_activity(train_examples, tok, tmp_path / "full", None, cfg, preset="tiny")

    class Interrupted(Exception):
        pass

    def crash(step: int, metrics: dict) -> None:
        if step == 5:
            raise Interrupted

    with pytest.raises(Interrupted):
        finetune_next_activity(train_examples, tok, tmp_path / "resumed", None, cfg, preset="tiny", on_log=crash)
    resumed = finetune_next_activity(train_examples, tok, tmp_path / "resumed", None, cfg, preset="tiny")
    assert resumed.train.resumed_from_step == 4 and resumed.train.steps == 6
    full_state, resumed_state = full.model.state_dict(), resumed.model.state_dict()
    assert all(torch.equal(full_state[k], resumed_state[k]) for k in full_state)


def test_cls_last_pooling_reads_the_state_of_the_last_activity():
    import torch

    from persona_dagster.sessionbert.pooling import last_activity_positions, pool
    from persona_dagster.sessionbert.tokenizer import train_tokenizer

    texts = ["[activity] a;x [SEP] b;y [location_token] country:DE", "[activity] a;x [SEP] c;z [SEP] b;y"]
    tok = train_tokenizer(texts, 100, "session")
    batch = tok(texts, padding=True, return_tensors="pt")
    positions = last_activity_positions(batch["input_ids"], batch["attention_mask"])
    assert [tok.convert_ids_to_tokens(int(batch["input_ids"][i, p])) for i, p in enumerate(positions)] == ["b;y", "b;y"]
    hidden = torch.arange(batch["input_ids"].numel() * 2, dtype=torch.float32).reshape(*batch["input_ids"].shape, 2)
    pooled = pool(hidden, batch["attention_mask"], "cls_last", batch["input_ids"])
    assert pooled.shape == (2, 4)
    assert torch.equal(pooled[1, 2:], hidden[1, positions[1]])
