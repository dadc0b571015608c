"""The user-level contrastive stage: it trains, its session vectors have unit length, it separates users' tasks."""

import numpy as np
import pytest

from persona_dagster.sessionbert.contrastive import (
    ContrastiveConfig,
    activity_texts,
    embed_activities,
    train_user_contrastive,
)
from persona_dagster.sessionbert.embed import Embeddings, load_encoder, user_embeddings
from persona_dagster.sessionbert.pretrain import pretrain_mlm
from persona_dagster.sessionbert.tokenizer import train_tokenizer
from persona_dagster.sessionbert.toy import toy_sessions
from persona_dagster.sessionbert.training import TrainConfig


@pytest.fixture(scope="module")
def stage(tmp_path_factory):
    sessions = toy_sessions(300, n_users=12, n_tasks=3, noise=0.05, seed=4)
    tok = train_tokenizer(sessions["sequence"])
    work = tmp_path_factory.mktemp("sb_contrastive")
    mlm = pretrain_mlm(list(sessions["sequence"]), tok, work / "mlm",
                       TrainConfig(batch_size=16, max_steps=10, max_len=128, cpu_threads=1), preset="tiny")
    cfg = ContrastiveConfig(steps=30, batch_users=8, group=2, lr=1e-3, cpu_threads=1)
    result = train_user_contrastive(sessions, tok, mlm.model_dir, work / "user", cfg)
    return sessions, tok, result


def test_session_vectors_have_unit_length_so_users_weigh_sessions_equally(stage):
    sessions, tok, result = stage
    vectors = embed_activities(load_encoder(result.model_dir, device="cpu"), tok, activity_texts(sessions))
    assert vectors.shape == (len(sessions), 32)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)


def test_the_stage_lowers_its_loss_and_users_of_one_task_embed_closer(stage):
    sessions, tok, result = stage
    assert result.users == sessions["user_id"].nunique()
    first, last = np.mean([v for _, v in result.loss_curve[:5]]), np.mean([v for _, v in result.loss_curve[-5:]])
    assert last < first
    vectors = embed_activities(load_encoder(result.model_dir, device="cpu"), tok, activity_texts(sessions))
    users = user_embeddings(sessions, Embeddings(list(sessions["session_key"]), vectors))
    # A user's main task: the walk most of their sessions follow (toy data: 80% of sessions).
    main = sessions.groupby("user_id")["task"].agg(lambda t: t.mode().iloc[0]).loc[users.keys].to_numpy()
    unit = users.vectors / np.linalg.norm(users.vectors, axis=1, keepdims=True)
    cos = unit @ unit.T
    same, other = main[:, None] == main[None, :], main[:, None] != main[None, :]
    np.fill_diagonal(same, False)
    assert cos[same].mean() > cos[other].mean() + 0.05


def test_too_few_users_is_a_clear_error(stage):
    sessions, tok, result = stage
    one = sessions[sessions["user_id"] == sessions["user_id"].iloc[0]]
    with pytest.raises(ValueError, match="at least 2 users with 2 sessions"):
        train_user_contrastive(one, tok, result.model_dir, result.model_dir.parent / "x", ContrastiveConfig(steps=1))
