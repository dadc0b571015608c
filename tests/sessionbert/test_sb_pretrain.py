"""Tiny MLM pretraining: the loss falls, and an interrupted run resumes to the same weights."""

import math

import pytest
import torch
from safetensors.torch import load_file

from persona_dagster.sessionbert.checkpoint import STATE_FILE, WEIGHTS_FILE, checkpoint_dirs
from persona_dagster.sessionbert.pretrain import pretrain_mlm
from persona_dagster.sessionbert.tokenizer import train_tokenizer
from persona_dagster.sessionbert.toy import toy_sessions
from persona_dagster.sessionbert.training import TrainConfig


@pytest.fixture(scope="module")
def corpus():
    texts = list(toy_sessions(400, seed=0)["sequence"])
    return texts, train_tokenizer(texts)


def test_mlm_loss_goes_down(corpus, tmp_path):
    texts, tok = corpus
    logged = []
    cfg = TrainConfig(batch_size=16, max_steps=120, lr=3e-3, max_len=64, log_every=20, eval_every=60, cpu_threads=1)
    result = pretrain_mlm(texts, tok, tmp_path, cfg, preset="tiny", on_log=lambda step, m: logged.append((step, m)))
    curve = [loss for _, loss in result.train.loss_curve]
    assert [s for s, _ in result.train.loss_curve] == [20, 40, 60, 80, 100, 120]
    assert curve[-1] < curve[0] - 0.5
    # Better than guessing uniformly over the vocabulary, and it improved since the mid-run evaluation.
    assert result.heldout_loss < math.log(len(tok)) - 0.5
    assert result.heldout_perplexity == pytest.approx(math.exp(result.heldout_loss))
    evals = [(step, m["eval_mlm_loss"]) for step, m in logged if "eval_mlm_loss" in m]
    assert [step for step, _ in evals] == [60, 120]
    assert evals[1][1] == result.heldout_loss < evals[0][1]
    assert result.n_heldout == 20 and result.n_train == 380
    assert result.train.tokens > 0 and result.train.tokens_per_second > 0
    assert (result.model_dir / WEIGHTS_FILE).exists() and (result.model_dir / "tokenizer.json").exists()


class Interrupt(Exception):
    pass


def _crash_at(step: int):
    def on_log(s: int, metrics: dict) -> None:
        if s == step:
            raise Interrupt

    return on_log


def test_resume_reaches_the_same_step_and_weights(corpus, tmp_path):
    texts, tok = corpus
    # 19 batches per epoch, so the run crosses an epoch boundary between checkpoints.
    cfg = TrainConfig(batch_size=20, max_steps=24, lr=3e-3, max_len=64, log_every=1, checkpoint_every=8, cpu_threads=1)
    full = pretrain_mlm(texts, tok, tmp_path / "full", cfg, preset="tiny")

    with pytest.raises(Interrupt):
        pretrain_mlm(texts, tok, tmp_path / "resumed", cfg, preset="tiny", on_log=_crash_at(13))
    (last,) = checkpoint_dirs(tmp_path / "resumed" / "checkpoints")[-1:]
    assert last.name == "step-00000008"
    assert (last / WEIGHTS_FILE).exists()
    state = torch.load(last / STATE_FILE, weights_only=True)
    assert state["step"] == 8

    resumed = pretrain_mlm(texts, tok, tmp_path / "resumed", cfg, preset="tiny")
    assert resumed.train.resumed_from_step == 8
    assert resumed.train.steps == full.train.steps == 24
    assert [s for s, _ in resumed.train.loss_curve] == list(range(1, 25))
    assert resumed.train.loss_curve == full.train.loss_curve
    a, b = load_file(full.model_dir / WEIGHTS_FILE), load_file(resumed.model_dir / WEIGHTS_FILE)
    assert a.keys() == b.keys()
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert resumed.heldout_loss == pytest.approx(full.heldout_loss)
