"""Persona quality: cohesion, alignment, truthfulness and specificity against the user's memories.

final = cohesion^0.20 * alignment^0.25 * truthfulness^0.35 * specificity^0.20 * label_focus^0.15, in [0, 1]
(a weighted geometric mean, the exponents normalised to sum to 1). Geometric because a persona must hold on every axis: a text that
claims nothing (specificity 0), only hallucinates (truthfulness 0) or is about another persona
(alignment 0) scores 0 however it does elsewhere; an arithmetic mean would give an empty text
truthfulness and cohesion for free, ranking it above partly right personas. Truthfulness weighs
most because the method's hard rule is "no claim without evidence"; alignment and specificity say
whether the description is about *this* evidence, label focus whether the label names what the evidence is
mostly about (without it the label was free: DPO drifted labels to 'User focused on this website'). Cohesion judges the clustering, not the writing: it is
the same for every candidate of one cluster, so it scales a prompt's scores without reordering them.

Cheap ways up are closed: claims are read from fluent text as well as from the notation, a name the
catalogue does not know counts as an unsupported claim (persona_dagster.personas.claim_checks), and
specificity is discounted by repetition and template boilerplate (persona_dagster.personas.text_quality),
so neither naming every service twice nor filling in a form scores as specific.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from persona_dagster.personas.claim_checks import entity_support, hallucination_rate, truthfulness
from persona_dagster.personas.claims import ClaimVocabulary, Claims, extract_claims
from persona_dagster.personas.evidence import EvidenceFacts
from persona_dagster.personas.memories import IntentMemory
from persona_dagster.personas.memory_features import TermEmbedder, l2_normalise
from persona_dagster.personas.text_quality import boilerplate, repetition


@dataclass(frozen=True)
class Persona:
    """A label, a description and the memories that support it."""

    label: str
    description: str
    evidence_ids: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.label}: {self.description}"

    @classmethod
    def from_text(cls, text: str, evidence_ids: Sequence[str]) -> Persona:
        """Split 'label: description'; text without a colon is all label."""
        label, _, description = text.partition(":")
        return cls(label.strip(), description.strip(), tuple(evidence_ids))


@dataclass(frozen=True)
class QualityWeights:
    """Exponents of the weighted geometric mean (normalised to sum to 1)."""

    cohesion: float = 0.20
    alignment: float = 0.25
    truthfulness: float = 0.35
    specificity: float = 0.20
    label_focus: float = 0.15


@dataclass(frozen=True)
class QualityScore:
    """The four components and the final score, each in [0, 1]."""

    cohesion: float
    alignment: float
    truthfulness: float
    specificity: float
    label_focus: float
    final: float


def weighted_geometric_mean(parts: dict[str, float], weights: QualityWeights) -> float:
    """prod(part ** weight) with the weights normalised to sum to 1; any zero part gives 0."""
    total = sum(getattr(weights, name) for name in parts)
    return float(np.prod([value ** (getattr(weights, name) / total) for name, value in parts.items()]))


def coverage(claims: Claims, facts: EvidenceFacts) -> float:
    """Share of the evidence's services and task intents the text names, each weighted by its support."""
    support = facts.services + facts.task_intents
    total = sum(support.values())
    named = sum(n for item, n in facts.services.items() if item in claims.services)
    named += sum(n for item, n in facts.task_intents.items() if item in claims.task_intents)
    return named / total if total else 0.0


def specificity(claims: Claims, facts: EvidenceFacts, text: str = "") -> float:
    """Coverage of the evidence, discounted by the text's repetition and template boilerplate."""
    return coverage(claims, facts) * (1.0 - repetition(text)) * (1.0 - boilerplate(text))


def label_focus(label: Claims, facts: EvidenceFacts) -> float:
    """How far the label names what the evidence is mostly about, in [0, 1].

    For task intents and for services apart: the support of the best-supported one the label names over the
    top one's support; the mean of the two (services alone when the evidence has no task). 'Cost reviewer
    focused on billing' over evidence mostly of review_costs in billing scores 1; a label naming a side
    service scores its share; one naming nothing of the evidence scores 0, as an empty description does.
    """
    parts = [max((support[item] for item in named if item in support), default=0) / max(support.values())
             for named, support in ((label.task_intents, facts.task_intents), (label.services, facts.services))
             if support]
    return float(np.mean(parts)) if parts else 0.0


def cohesion(vectors: np.ndarray) -> float:
    """Mean pairwise cosine of the evidence (negatives count as 0); 1 for a single memory."""
    if len(vectors) < 2:
        return 1.0
    unit = l2_normalise(vectors)
    sims = np.clip(unit @ unit.T, 0.0, 1.0)
    n = len(unit)
    return float((sims.sum() - np.trace(sims)) / (n * (n - 1)))


def alignment(description: np.ndarray, own: np.ndarray, others: Sequence[np.ndarray]) -> float:
    """Margin of the description's cosine to its own evidence centroid over the nearest other one, clipped to [0, 1].

    Closer to another persona's evidence than to its own is as bad as naming nothing.
    """
    own_sim = float(description @ own)
    other_sim = max((float(description @ o) for o in others), default=0.0)
    return float(np.clip(own_sim - max(other_sim, 0.0), 0.0, 1.0))


class PersonaScorer:
    """Scores personas of any user against the memories it was built with."""

    def __init__(
        self,
        memories: Sequence[IntentMemory],
        embedder: TermEmbedder | None = None,
        cohesion_vectors: np.ndarray | None = None,
        weights: QualityWeights = QualityWeights(),
        vocabulary: ClaimVocabulary | None = None,
    ) -> None:
        """cohesion_vectors (row-aligned with memories) default to the term embeddings."""
        self.memories = {m.memory_id: m for m in memories}
        self.embedder = embedder or TermEmbedder().fit(memories)
        self.vocabulary = vocabulary or ClaimVocabulary.of(memories)
        self.weights = weights
        term_vectors = self.embedder.embed_memories(memories)
        self._rows = {m.memory_id: i for i, m in enumerate(memories)}
        self._term_vectors = term_vectors
        self._cohesion_vectors = term_vectors if cohesion_vectors is None else np.asarray(cohesion_vectors)
        self._evidence_cache: dict[tuple[str, ...], tuple[EvidenceFacts, np.ndarray, float]] = {}

    def _evidence(self, ids: Sequence[str]) -> tuple[EvidenceFacts, np.ndarray, float]:
        """(facts, unit term centroid, cohesion) of one evidence set, cached: candidates share evidence."""
        key = tuple(ids)
        if key not in self._evidence_cache:
            rows = [self._rows[i] for i in key]
            centroid = l2_normalise(self._term_vectors[rows].mean(axis=0, keepdims=True))[0]
            facts = EvidenceFacts.of([self.memories[i] for i in key])
            self._evidence_cache[key] = (facts, centroid, cohesion(self._cohesion_vectors[rows]))
        return self._evidence_cache[key]

    def claims(self, text: str) -> Claims:
        return extract_claims(text, self.vocabulary)

    def entity_support(self, persona: Persona) -> tuple[int, int]:
        """(named entities, unsupported ones) in the persona's label and description."""
        return entity_support(self.claims(persona.text), self._evidence(persona.evidence_ids)[0])

    def hallucination_rate(self, persona: Persona) -> float:
        """Share of the entities the persona names that its evidence does not support (0 if it names none)."""
        return hallucination_rate(self.claims(persona.text), self._evidence(persona.evidence_ids)[0])

    def score(self, persona: Persona, other_evidence: Sequence[Sequence[str]] = ()) -> QualityScore:
        """Score one persona; other_evidence holds the evidence ids of the user's other personas.

        Truthfulness checks every claim, the label's included; alignment and specificity read the
        description and label focus the label, so a label with no description (a truncated persona)
        scores 0, and so does a description without a label: a consumer has nothing to show for it.
        """
        facts, own_centroid, cohesion_value = self._evidence(persona.evidence_ids)
        described = self.claims(persona.description)
        description = self.embedder.embed_terms([described.terms()])[0]
        others = [self._evidence(ids)[1] for ids in other_evidence]
        parts = {
            "cohesion": cohesion_value,
            "alignment": alignment(description, own_centroid, others),
            "truthfulness": truthfulness(self.claims(persona.text), facts),
            "specificity": specificity(described, facts, persona.description),
            "label_focus": label_focus(self.claims(persona.label), facts),
        }
        final = weighted_geometric_mean(parts, self.weights)
        return QualityScore(**parts, final=final)
