"""Without persona definitions clusters are labelled by their top services and pages, names as landed."""

import pytest

from persona_dagster.segments.activity_labels import activity_label, label_clusters_by_activity
from persona_dagster.segments.persona_map import tag_personas


def test_label_names_the_two_busiest_services_with_their_top_page():
    top = [("ecs", "instances", 5), ("vpc", "subnets", 4), ("ecs", "create", 3), ("Café Zürich", "Menü", 1)]
    label, share = activity_label(top)
    assert label == "ecs & vpc users (ecs;instances, vpc;subnets)"
    assert share == pytest.approx(12 / 13)


def test_clusters_get_distinct_single_tag_labels():
    top = {0: [("O'Reilly \"Books\"", "Home", 3)], 1: [("O'Reilly \"Books\"", "Home", 1)], 2: [("a + b", "x", 1)]}
    mapping = label_clusters_by_activity(top)
    tags = {c: p.tag for c, p in mapping.clusters.items()}
    assert tags[0] == "O'Reilly \"Books\" users (O'Reilly \"Books\";Home) [cluster 0]"
    assert tags[1].endswith("[cluster 1]") and tags[2] == "a + b users (a + b;x)"
    assert mapping.clusters[0].probability == 1.0 and mapping.clusters[0].mapped_share == 0.0
    assert tag_personas(tags[0]) == (tags[0],)
    assert mapping.lacking_signal == ()
