"""Clustering against ground truth: ARI, NMI, and whether the assigned persona tag names the true persona."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import asdict, dataclass

from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from persona_dagster.evaluation.intervals import paired_statistic_intervals
from persona_dagster.segments.persona_map import tag_personas


def label_agreement(predicted: Sequence[Hashable], truth: Sequence[Hashable]) -> dict[str, float]:
    """{'ari': adjusted Rand index, 'nmi': normalised mutual information} of two labelings of the same rows."""
    if len(predicted) != len(truth):
        raise ValueError(f"{len(predicted)} predicted labels but {len(truth)} true labels")
    if not len(truth):
        raise ValueError("no labels to compare")
    return {
        "ari": float(adjusted_rand_score(truth, predicted)),
        "nmi": float(normalized_mutual_info_score(truth, predicted)),
    }


@dataclass(frozen=True)
class TagAccuracy:
    """Persona-tag accuracy over the users present in both inputs; merged counts tags naming several personas."""

    accuracy: float
    users: int
    merged: int

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def persona_tag_accuracy(user_tags: Mapping[Hashable, str], main_persona: Mapping[Hashable, str]) -> TagAccuracy:
    """Share of users whose tag names their true main persona: the tag itself, or any persona of a merged tag.

    A merged tag is credited when any of its personas is right, so `merged` is reported beside the
    accuracy to show how much of it rests on merged tags.
    """
    users = [u for u in user_tags if u in main_persona]
    if not users:
        raise ValueError("no user has both a persona tag and a true main persona")
    correct = tag_correct(user_tags, main_persona)
    merged = sum(1 for u in users if len(tag_personas(user_tags[u])) > 1)
    return TagAccuracy(accuracy=sum(correct.values()) / len(users), users=len(users), merged=merged)


def tag_correct(user_tags: Mapping[Hashable, str], main_persona: Mapping[Hashable, str]) -> dict[Hashable, bool]:
    """Per user present in both inputs: does the tag (or any persona of a merged tag) name the true main persona?"""
    return {u: main_persona[u] in tag_personas(tag) for u, tag in user_tags.items() if u in main_persona}


def paired_agreement_intervals(truth: Sequence[Hashable], labelings: Mapping[str, Sequence[Hashable]],
                               correct: Mapping[str, Sequence[bool]], reference: str) -> dict[str, dict]:
    """95% paired-bootstrap intervals (users resampled) of each labeling's ARI and tag accuracy, and of its gap to `reference`.

    Every labeling covers the same users in the same order; the same resamples score them all.
    """
    def accuracy(_truth, flags) -> float:
        return float(sum(flags)) / len(flags)

    return {"ari": paired_statistic_intervals(truth, dict(labelings), adjusted_rand_score, reference),
            "persona_tag_accuracy": paired_statistic_intervals(truth, dict(correct), accuracy, reference)}
