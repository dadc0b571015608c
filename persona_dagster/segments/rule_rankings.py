"""The paper rule's other two rankings of its candidates: rec2 by name similarity, rec3 by description similarity.

rec1 (recommend.py) ranks the new services the last sessions voted for by how often they were
voted. rec2 and rec3 keep the same candidates and order them by how close each is to the
services the user already uses: rec2 compares the service names, rec3 the catalogue's
descriptions. No pretrained text encoder installs offline, so names are compared as character
n-gram TF-IDF vectors (works for any log's names: 'log-service' ~ 'log search') and
descriptions as word TF-IDF vectors fitted on the catalogue itself.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from sklearn.feature_extraction.text import TfidfVectorizer

from persona_dagster.segments.ranking import UsedServices

RULE_RANKINGS = ("rec1", "rec2", "rec3")


def name_vectors(services: Sequence[str]) -> dict[str, np.ndarray]:
    """Unit-length character 2-4-gram TF-IDF vector of each service name."""
    return _unit_vectors(list(services), TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), lowercase=True),
                         list(services))


def description_vectors(descriptions: Mapping[str, str]) -> dict[str, np.ndarray]:
    """Unit-length word TF-IDF vector of each service's description (English stop words out)."""
    services = list(descriptions)
    return _unit_vectors(services, TfidfVectorizer(stop_words="english", sublinear_tf=True),
                         [descriptions[s] for s in services])


def _unit_vectors(keys: list[str], vectorizer: TfidfVectorizer, texts: list[str]) -> dict[str, np.ndarray]:
    if not keys:
        return {}
    matrix = vectorizer.fit_transform(texts).toarray()  # TF-IDF rows are already L2-normalised
    return dict(zip(keys, matrix, strict=True))


def rerank_by_similarity(candidates: pd.DataFrame, used: UsedServices, vectors: Mapping[str, np.ndarray],
                         k: int) -> pd.DataFrame:
    """Each user's k candidates most similar to a service they use (max cosine), ties by votes then name.

    candidates: every eligible candidate of the rule (user_id, service, count, weight). A candidate
    or used service without a vector scores 0, so a partial catalogue still ranks (by votes).
    """
    rows = []
    for user, group in candidates.groupby("user_id", sort=True):
        mine = [vectors[s] for s in used.get(user, ()) if s in vectors]
        base = np.stack(mine) if mine else None
        scores = [float((base @ vectors[s]).max()) if base is not None and s in vectors else 0.0
                  for s in group["service"]]
        ranked = group.assign(similarity=scores).sort_values(
            ["similarity", "count", "weight", "service"], ascending=[False, False, False, True]).head(k)
        rows.append(ranked.assign(rank=np.arange(1, len(ranked) + 1)))
    columns = ["user_id", "rank", "service", "count", "weight", "similarity"]
    return pd.concat(rows, ignore_index=True)[columns] if rows else pd.DataFrame(columns=columns)
