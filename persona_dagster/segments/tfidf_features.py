"""The model-free clustering baseline: TF-IDF over each user's session sequences."""

from __future__ import annotations

import pandas as pd
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer

from persona_dagster.segments.frames import require_columns
from persona_dagster.segments.recent_sessions import last_sessions
from persona_dagster.sequences import SECTION_TOKENS


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else " ".join(str(t) for t in value)  # type: ignore[union-attr]


def user_documents(sessions: pd.DataFrame, column: str = "sequence", last_n: int | None = None) -> pd.Series:
    """Per user (sorted), their sessions' `column` joined by spaces; last_n keeps only their latest sessions.

    `column` may hold strings (the flattened sequence) or token lists (activities).
    """
    require_columns(sessions, (column,), "sessions")
    chosen = last_sessions(sessions, last_n if last_n is not None else max(len(sessions), 1))
    texts = chosen[column].map(_as_text)
    return texts.groupby(chosen["user_id"], sort=True).agg(" ".join)


def tfidf_features(documents: pd.Series | list[str]) -> tuple[sp.csr_matrix, list[str]]:
    """(L2-normalised TF-IDF rows, vocabulary); tokens split on whitespace so 'service;page' stays whole."""
    vectorizer = TfidfVectorizer(
        tokenizer=str.split,
        token_pattern=None,
        lowercase=False,
        # Section markers occur in every session and say nothing about the user.
        stop_words=list(SECTION_TOKENS),
        sublinear_tf=True,
    )
    matrix = vectorizer.fit_transform(list(documents))
    return matrix.tocsr(), vectorizer.get_feature_names_out().tolist()
