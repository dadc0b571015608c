"""Clusters -> personas through task encodings: top activities -> tasks -> the persona whose tasks they are."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from persona_dagster.segments.reference import task_of

TAG_JOINER = " + "
UNMAPPED_TAG = "unmapped"


def tag_personas(tag: str) -> tuple[str, ...]:
    """The personas a (possibly merged) tag names; the unmapped tag names none."""
    return () if tag == UNMAPPED_TAG else tuple(tag.split(TAG_JOINER))


def cluster_top_activities(
    activities: Sequence[Sequence[str]] | pd.Series, labels: Sequence[Hashable] | np.ndarray, top_n: int = 20
) -> dict[Hashable, list[tuple[str, int]]]:
    """Per cluster, its top_n activities by frequency over its sessions, as (activity, count), ties by name.

    activities[i] is session i's activity list and labels[i] its cluster (a user's cluster for each
    of the user's sessions when users were clustered).
    """
    if len(activities) != len(labels):
        raise ValueError(f"{len(activities)} sessions but {len(labels)} labels")
    if top_n < 1:
        raise ValueError(f"top_n must be at least 1, got {top_n}")
    frame = pd.DataFrame({"cluster": list(labels), "activity": list(activities)}).explode("activity").dropna()
    counts = frame.groupby(["cluster", "activity"]).size().rename("count").reset_index()
    counts = counts.sort_values(["cluster", "count", "activity"], ascending=[True, False, True], kind="stable")
    top = counts.groupby("cluster", sort=True).head(top_n)
    return {
        cluster: list(zip(group["activity"].tolist(), group["count"].astype(int).tolist(), strict=True))
        for cluster, group in top.groupby("cluster", sort=True)
    }


@dataclass(frozen=True)
class ClusterPersona:
    """One cluster's persona tag, the personas it names, their probability and the full distribution."""

    cluster: Hashable
    tag: str
    personas: tuple[str, ...]
    probability: float
    probabilities: dict[str, float]
    coverage: dict[str, float]
    mapped_share: float


@dataclass(frozen=True)
class PersonaMap:
    """Every cluster's tag, and the personas no cluster's tag names (too little signal in the data)."""

    clusters: dict[Hashable, ClusterPersona]
    lacking_signal: tuple[str, ...]

    def frame(self) -> pd.DataFrame:
        """One row per cluster: cluster, persona_tag, probability, mapped_share, then one column per persona."""
        rows = [
            {"cluster": c.cluster, "persona_tag": c.tag, "probability": c.probability, "mapped_share": c.mapped_share,
             **{f"p_{p}": v for p, v in c.probabilities.items()}}
            for c in self.clusters.values()
        ]
        return pd.DataFrame(rows)


def _validated_personas(persona_tasks: Mapping[str, Iterable[str]]) -> dict[str, frozenset[str]]:
    if not persona_tasks:
        raise ValueError("persona_tasks is empty")
    personas = {str(p): frozenset(tasks) for p, tasks in persona_tasks.items()}
    for persona, tasks in personas.items():
        if TAG_JOINER in persona or persona == UNMAPPED_TAG:
            raise ValueError(f"persona name {persona!r} cannot be told apart from a merged or unmapped tag")
        if not tasks:
            raise ValueError(f"persona {persona!r} has no tasks")
    return personas


def map_clusters_to_personas(
    top_activities: Mapping[Hashable, Sequence[tuple[str, int]]],
    activity_tasks: Mapping[str, str],
    persona_tasks: Mapping[str, Iterable[str]],
    tie_tolerance: float = 1e-9,
) -> PersonaMap:
    """Tag each cluster with its most probable persona, merging personas that tie.

    For cluster c with top activities a (count n_a) and task t(a) (unmapped activities dropped),
    M = the mapped top activities and T_P the tasks of persona P:
        coverage(P)    = sum(n_a for a in M if t(a) in T_P) / sum(n_a for a in M)
        probability(P) = coverage(P) / sum over personas Q of coverage(Q)
    Coverage is the share of the cluster's mapped activity mass that P's tasks explain; since
    personas share tasks, coverages can sum past 1, so they are normalised into a distribution
    over personas, which makes clusters comparable. The tag is every persona whose probability
    is within tie_tolerance of the maximum, in persona_tasks order, joined by ' + '. A cluster
    none of whose top activities maps to a persona's task gets the tag 'unmapped' and all-zero
    probabilities.
    """
    personas = _validated_personas(persona_tasks)
    if tie_tolerance < 0:
        raise ValueError(f"tie_tolerance must be >= 0, got {tie_tolerance}")
    names = list(personas)
    clusters: dict[Hashable, ClusterPersona] = {}
    for cluster, top in top_activities.items():
        counts = np.array([float(n) for _, n in top], dtype=np.float64)
        if np.any(counts < 0):
            raise ValueError(f"cluster {cluster!r} has a negative activity count")
        tasks = [task_of(activity, activity_tasks) for activity, _ in top]
        mapped = np.array([t is not None for t in tasks], dtype=bool)
        mapped_mass = counts[mapped].sum()
        # [persona, activity]: does the activity's task belong to the persona?
        member = np.array([[t in personas[p] for t in tasks] for p in names], dtype=bool)
        coverage = (member * counts).sum(axis=1) / mapped_mass if mapped_mass > 0 else np.zeros(len(names))
        total = coverage.sum()
        probabilities = coverage / total if total > 0 else np.zeros(len(names))
        if total > 0:
            best = probabilities.max()
            chosen = tuple(p for p, v in zip(names, probabilities, strict=True) if v >= best - tie_tolerance)
            tag, probability = TAG_JOINER.join(chosen), float(best)
        else:
            chosen, tag, probability = (), UNMAPPED_TAG, 0.0
        clusters[cluster] = ClusterPersona(
            cluster=cluster,
            tag=tag,
            personas=chosen,
            probability=probability,
            probabilities=dict(zip(names, probabilities.tolist(), strict=True)),
            coverage=dict(zip(names, coverage.tolist(), strict=True)),
            mapped_share=float(mapped_mass / counts.sum()) if counts.sum() > 0 else 0.0,
        )
    taken = {p for c in clusters.values() for p in c.personas}
    return PersonaMap(clusters=clusters, lacking_signal=tuple(p for p in names if p not in taken))
