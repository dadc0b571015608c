"""Memory embeddings: TF-IDF over a memory's intent, services and pages, L2-normalised.

The default needs no download and lives in the same space as a persona description
(the services, pages and intents it names), which the alignment score relies on.
Precomputed vectors (e.g. SessionBERT) can replace it for clustering and cohesion.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer

from persona_dagster.personas.memories import IntentMemory


def service_term(service: str) -> str:
    return f"service={service}"


def page_term(token: str) -> str:
    return f"page={token}"


def intent_term(intent: str) -> str:
    return f"intent={intent}"


def memory_terms(memory: IntentMemory) -> list[str]:
    """The bag of terms of one memory; a service-sourced intent is already its service term."""
    terms = [service_term(s) for s in memory.services] + [page_term(p) for p in memory.pages]
    return [intent_term(memory.intent), *terms] if memory.is_task else terms


def _identity(terms: list[str]) -> list[str]:
    # Module-level so a fitted vectorizer stays picklable.
    return terms


class TermEmbedder:
    """TF-IDF over term bags, fitted on memories; embeds memories and named-term bags alike."""

    def __init__(self) -> None:
        self._vectorizer = TfidfVectorizer(analyzer=_identity, norm="l2", sublinear_tf=True)

    def fit(self, memories: Sequence[IntentMemory]) -> TermEmbedder:
        self._vectorizer.fit([memory_terms(m) for m in memories])
        return self

    @property
    def vocabulary(self) -> frozenset[str]:
        return frozenset(self._vectorizer.vocabulary_)

    def embed_terms(self, bags: Iterable[Sequence[str]]) -> np.ndarray:
        """Rows of unit (or all-zero, when no term is known) vectors."""
        return self._vectorizer.transform([list(b) for b in bags]).toarray()

    def embed_memories(self, memories: Sequence[IntentMemory]) -> np.ndarray:
        return self.embed_terms(memory_terms(m) for m in memories)


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Unit rows; all-zero rows stay zero."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors, dtype=float), where=norms > 0)
