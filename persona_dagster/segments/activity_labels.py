"""Data-driven cluster labels from their top services and pages, for logs that come without persona definitions."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence

from persona_dagster.segments.persona_map import ClusterPersona, PersonaMap

# Not the merged-tag joiner ' + ': a label reads back as one tag (unless a landed name itself holds ' + ').
SERVICE_JOINER = " & "

LandedActivity = tuple[str, str, int]  # (service, page, count), names as landed


def activity_label(top: Sequence[LandedActivity], n_services: int = 2) -> tuple[str, float]:
    """('ecs & vpc users (ecs;instances, vpc;subnets)', share of the activity mass on those services).

    Services rank by their summed count, each shown with its most frequent page; ties go by name.
    """
    if not top:
        raise ValueError("a cluster with no activities cannot be labelled")
    per_service: dict[str, int] = {}
    for service, _, count in top:
        per_service[service] = per_service.get(service, 0) + count
    chosen = sorted(per_service, key=lambda s: (-per_service[s], s))[:n_services]
    pages = [min((-count, page) for s, page, count in top if s == service)[1] for service in chosen]
    shown = ", ".join(f"{service};{page}" for service, page in zip(chosen, pages, strict=True))
    share = sum(per_service[s] for s in chosen) / sum(per_service.values()) if sum(per_service.values()) else 0.0
    return f"{SERVICE_JOINER.join(chosen)} users ({shown})", share


def label_clusters_by_activity(
    top_activities: Mapping[Hashable, Sequence[LandedActivity]], n_services: int = 2
) -> PersonaMap:
    """Each cluster tagged with its activity label; clusters that would share a label get their number appended.

    probability is the share of the cluster's top-activity mass its labelled services carry; no
    activity maps to a task, so mapped_share is 0.
    """
    labels = {c: activity_label(top, n_services) for c, top in top_activities.items()}
    counts: dict[str, int] = {}
    for label, _ in labels.values():
        counts[label] = counts.get(label, 0) + 1
    clusters = {}
    for cluster, (label, share) in labels.items():
        tag = f"{label} [cluster {cluster}]" if counts[label] > 1 else label
        clusters[cluster] = ClusterPersona(cluster=cluster, tag=tag, personas=(tag,), probability=share,
                                           probabilities={tag: share}, coverage={}, mapped_share=0.0)
    return PersonaMap(clusters=clusters, lacking_signal=())
