"""Session vectors (mean-pooled last hidden state) and user vectors (mean of the last 8 sessions)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from transformers import BertConfig, BertForMaskedLM, BertModel, PreTrainedTokenizerFast

from persona_dagster.sequences import LAST_SESSIONS
from persona_dagster.sessionbert.device import pick_device
from persona_dagster.sessionbert.encoding import encode_sessions
from persona_dagster.sessionbert.inference import map_batches
from persona_dagster.sessionbert.next_activity import HEADS_FILE, NextActivityModel
from persona_dagster.sessionbert.pooling import mean_pool
from persona_dagster.sessionbert.sessions import session_texts


@dataclass
class Embeddings:
    """Row i of vectors (float32) belongs to keys[i]."""

    keys: list[str]
    vectors: np.ndarray


def load_encoder(path: str | Path, device: str | None = None) -> BertModel:
    """The BERT encoder of a saved MLM or fine-tuned next-activity directory, on `device` (default: CUDA if present)."""
    path = Path(path)
    if (path / HEADS_FILE).exists():
        encoder = NextActivityModel.from_pretrained(path).encoder
    elif "BertModel" in (BertConfig.from_pretrained(str(path)).architectures or []):  # the contrastive stage's
        encoder = BertModel.from_pretrained(str(path), local_files_only=True, add_pooling_layer=False)
    else:
        encoder = BertForMaskedLM.from_pretrained(str(path), local_files_only=True).bert
    return encoder.to(pick_device(device)).eval()


def embed_texts(
    encoder: BertModel,
    tokenizer: PreTrainedTokenizerFast,
    texts: Sequence[str],
    max_len: int = 512,
    batch_size: int = 128,
    pad_to: int | None = None,
) -> np.ndarray:
    """[len(texts), hidden] float32, in input order; pad_to selects the naive fixed-width path."""
    ids = encode_sessions(tokenizer, texts, max_len)
    if not ids:
        return np.zeros((0, encoder.config.hidden_size), dtype=np.float32)

    def vectors(input_ids: torch.Tensor, attention_mask: torch.Tensor) -> dict[str, torch.Tensor]:
        hidden = encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        return {"vector": mean_pool(hidden, attention_mask)}

    return map_batches(encoder, vectors, ids, tokenizer.pad_token_id, batch_size, pad_to)["vector"].numpy()


def session_embeddings(
    encoder: BertModel,
    tokenizer: PreTrainedTokenizerFast,
    sessions: pd.DataFrame,
    max_len: int = 512,
    batch_size: int = 128,
) -> Embeddings:
    """One vector per session row, keyed by session_key in the frame's order."""
    vectors = embed_texts(encoder, tokenizer, session_texts(sessions), max_len, batch_size)
    return Embeddings([str(k) for k in sessions["session_key"]], vectors)


def user_embeddings(sessions: pd.DataFrame, session_vectors: Embeddings, last_n: int = LAST_SESSIONS) -> Embeddings:
    """Per user (sorted by user_id), the mean vector of their last_n sessions by session_start.

    Sessions without a vector are ignored, so embedding only recent sessions is fine.
    """
    row_of = {k: i for i, k in enumerate(session_vectors.keys)}
    frame = sessions[["session_key", "user_id", "session_start"]].astype({"session_key": str})
    frame = frame[frame["session_key"].isin(row_of)]
    # session_key breaks ties between sessions starting at the same instant, keeping the choice stable.
    frame = frame.sort_values(["user_id", "session_start", "session_key"])
    frame = frame.groupby("user_id", sort=True).tail(last_n)
    users, vectors = [], []
    for user, group in frame.groupby("user_id", sort=True):
        users.append(str(user))
        vectors.append(session_vectors.vectors[[row_of[k] for k in group["session_key"]]].mean(axis=0))
    dim = session_vectors.vectors.shape[1]
    return Embeddings(users, np.asarray(vectors, dtype=np.float32).reshape(len(users), dim))
