"""Session and user embeddings: shapes, determinism, padding invariance, user = mean of last 8."""

import numpy as np
import pandas as pd
import pytest

from persona_dagster.sessionbert.embed import Embeddings, embed_texts, load_encoder, session_embeddings, user_embeddings
from persona_dagster.sessionbert.pretrain import pretrain_mlm
from persona_dagster.sessionbert.tokenizer import train_tokenizer
from persona_dagster.sessionbert.toy import toy_sessions
from persona_dagster.sessionbert.training import TrainConfig


@pytest.fixture(scope="module")
def encoder_and_sessions(tmp_path_factory):
    sessions = toy_sessions(120, n_users=6, seed=2)
    tok = train_tokenizer(sessions["sequence"])
    cfg = TrainConfig(batch_size=16, max_steps=10, max_len=128, cpu_threads=1)
    result = pretrain_mlm(list(sessions["sequence"]), tok, tmp_path_factory.mktemp("sb_embed"), cfg, preset="tiny")
    return load_encoder(result.model_dir, device="cpu"), tok, sessions


def test_session_embeddings_shape_order_and_determinism(encoder_and_sessions):
    encoder, tok, sessions = encoder_and_sessions
    emb = session_embeddings(encoder, tok, sessions, max_len=128, batch_size=16)
    assert emb.keys == list(sessions["session_key"])
    assert emb.vectors.shape == (120, 32) and emb.vectors.dtype == np.float32
    assert np.isfinite(emb.vectors).all()
    again = session_embeddings(encoder, tok, sessions.drop(columns="sequence"), max_len=128, batch_size=16)
    assert np.array_equal(emb.vectors, again.vectors)


def test_padding_and_batching_do_not_change_vectors(encoder_and_sessions):
    encoder, tok, sessions = encoder_and_sessions
    texts = list(sessions["sequence"])
    bucketed = embed_texts(encoder, tok, texts, max_len=128, batch_size=16)
    naive = embed_texts(encoder, tok, texts, max_len=128, batch_size=16, pad_to=128)
    alone = np.stack([embed_texts(encoder, tok, [t], max_len=128)[0] for t in texts[:5]])
    np.testing.assert_allclose(bucketed, naive, atol=1e-5)
    np.testing.assert_allclose(bucketed[:5], alone, atol=1e-5)


def test_user_vector_is_the_mean_of_the_last_eight_sessions():
    rng = np.random.default_rng(0)
    starts = pd.date_range("2026-01-01", periods=10, freq="D")
    sessions = pd.DataFrame(
        {
            "session_key": [f"u1-{i}" for i in range(10)] + ["u0-0"],
            "user_id": ["u1"] * 10 + ["u0"],
            "session_start": list(starts) + [starts[0]],
        }
    ).sample(frac=1.0, random_state=0)  # row order must not matter
    vectors = rng.normal(size=(11, 4)).astype(np.float32)
    keyed = Embeddings(list(sessions["session_key"]), vectors)
    users = user_embeddings(sessions, keyed)
    assert users.keys == ["u0", "u1"]
    assert users.vectors.dtype == np.float32 and users.vectors.shape == (2, 4)
    row = {k: i for i, k in enumerate(keyed.keys)}
    expected_u1 = vectors[[row[f"u1-{i}"] for i in range(2, 10)]].mean(axis=0)
    np.testing.assert_allclose(users.vectors[1], expected_u1, rtol=1e-6)
    np.testing.assert_allclose(users.vectors[0], vectors[row["u0-0"]])


def test_users_from_real_embeddings(encoder_and_sessions):
    encoder, tok, sessions = encoder_and_sessions
    users = user_embeddings(sessions, session_embeddings(encoder, tok, sessions, max_len=128))
    assert users.keys == sorted(sessions["user_id"].unique())
    assert users.vectors.shape == (sessions["user_id"].nunique(), 32)
