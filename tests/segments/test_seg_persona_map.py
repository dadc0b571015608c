"""The persona map on a hand-made reference, with every number worked out by hand."""

import pandas as pd
import pytest

from persona_dagster.segments.persona_map import (
    UNMAPPED_TAG,
    cluster_top_activities,
    map_clusters_to_personas,
    tag_personas,
)
from persona_dagster.segments.reference import activity_task_map, persona_services, persona_task_sets, task_of

ACTIVITY_TASKS = activity_task_map(pd.DataFrame({
    "service": ["ecs", "ros", "cloudmonitor", "rds", "billing"],
    "page": ["create-instance", "templates", "metrics", "instances", None],  # billing: the whole service
    "task": ["setup", "setup", "monitor", "databases", "costs"],
}))
PERSONA_TASKS = persona_task_sets(pd.DataFrame({
    "persona": ["devops", "devops", "dba", "dba", "finops", "ml"],
    "task": ["setup", "monitor", "databases", "monitor", "costs", "train"],
    "weight": [3, 2, 4, 1, 1, 1],
}))

TOP = {
    # mapped mass 10 (docs;home is unmapped): devops (6+2+2)/10 = 1.0, dba 2/10 = 0.2, others 0;
    # normalised over 1.2: devops 1/1.2, dba 0.2/1.2.
    0: [("ecs;create-instance", 6), ("docs;home", 5), ("ros;templates", 2), ("cloudmonitor;metrics", 2)],
    # mapped mass 8: devops (4+2)/8 = 0.75, dba (4+2)/8 = 0.75 -> 0.5 each, a tie that merges.
    1: [("cloudmonitor;metrics", 4), ("rds;instances", 2), ("ecs;create-instance", 2)],
    # billing pages map through the service-wide entry: finops 4/4 = 1 -> probability 1.
    2: [("docs;home", 4), ("billing;bills", 3), ("billing;budgets", 1)],
    # nothing maps.
    3: [("docs;home", 3)],
}


def test_reference_lookups():
    assert task_of("billing;invoices", ACTIVITY_TASKS) == "costs"
    assert task_of("ecs;create-instance", ACTIVITY_TASKS) == "setup"
    assert task_of("ecs;overview", ACTIVITY_TASKS) is None
    assert PERSONA_TASKS["dba"] == {"databases", "monitor"}
    services = persona_services(ACTIVITY_TASKS, PERSONA_TASKS)
    assert services == {"devops": {"ecs", "ros", "cloudmonitor"}, "dba": {"rds", "cloudmonitor"},
                        "finops": {"billing"}, "ml": frozenset()}


def test_persona_probabilities_tags_ties_and_lacking_signal_by_hand():
    result = map_clusters_to_personas(TOP, ACTIVITY_TASKS, PERSONA_TASKS)
    c0, c1, c2, c3 = (result.clusters[c] for c in range(4))

    assert c0.coverage == pytest.approx({"devops": 1.0, "dba": 0.2, "finops": 0.0, "ml": 0.0})
    assert c0.probabilities == pytest.approx({"devops": 1 / 1.2, "dba": 0.2 / 1.2, "finops": 0.0, "ml": 0.0})
    assert (c0.tag, c0.probability, c0.mapped_share) == ("devops", pytest.approx(1 / 1.2), pytest.approx(10 / 15))

    assert c1.probabilities == pytest.approx({"devops": 0.5, "dba": 0.5, "finops": 0.0, "ml": 0.0})
    assert c1.tag == "devops + dba" and c1.personas == ("devops", "dba")
    assert tag_personas(c1.tag) == ("devops", "dba")

    assert (c2.tag, c2.probability, c2.mapped_share) == ("finops", pytest.approx(1.0), pytest.approx(0.5))

    assert c3.tag == UNMAPPED_TAG and c3.personas == () and c3.probability == 0.0
    assert result.lacking_signal == ("ml",)
    assert list(result.frame()["persona_tag"]) == ["devops", "devops + dba", "finops", UNMAPPED_TAG]


def test_tie_tolerance_merges_near_ties_only_when_asked():
    # devops (50+51)/150, dba (50+49)/150 -> probabilities 101/200 = 0.505 and 99/200 = 0.495.
    top = {7: [("cloudmonitor;metrics", 50), ("ecs;create-instance", 51), ("rds;instances", 49)]}
    strict = map_clusters_to_personas(top, ACTIVITY_TASKS, PERSONA_TASKS).clusters[7]
    assert (strict.tag, strict.probability) == ("devops", pytest.approx(0.505))
    loose = map_clusters_to_personas(top, ACTIVITY_TASKS, PERSONA_TASKS, tie_tolerance=0.02).clusters[7]
    assert loose.tag == "devops + dba"


def test_cluster_top_activities_counts_sessions_per_cluster():
    activities = [["a;x", "b;y", "a;x"], ["b;y", "c;z"], ["c;z"], ["a;x"]]
    labels = [0, 0, 1, 1]
    top = cluster_top_activities(activities, labels, top_n=2)
    # cluster 0: a;x 2, b;y 2, c;z 1 -> the two tied at 2, ordered by name.
    assert top == {0: [("a;x", 2), ("b;y", 2)], 1: [("a;x", 1), ("c;z", 1)]}


def test_bad_reference_is_named():
    with pytest.raises(ValueError, match="no tasks"):
        map_clusters_to_personas(TOP, ACTIVITY_TASKS, {"devops": set()})
    with pytest.raises(ValueError, match="merged or unmapped"):
        map_clusters_to_personas(TOP, ACTIVITY_TASKS, {"a + b": {"setup"}})
    with pytest.raises(ValueError, match="lacks columns"):
        activity_task_map(pd.DataFrame({"service": ["ecs"], "task": ["setup"]}))
    with pytest.raises(ValueError, match="maps to both"):
        activity_task_map(pd.DataFrame({"service": ["ecs", "ecs"], "page": ["x", "x"], "task": ["a", "b"]}))
