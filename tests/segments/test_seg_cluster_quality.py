"""Clustering agreement, persona-tag accuracy with merged tags, and the tailoring share, by hand."""

import numpy as np
import pandas as pd
import pytest

from persona_dagster.segments.cluster_quality import label_agreement, paired_agreement_intervals, persona_tag_accuracy
from persona_dagster.segments.metrics import persona_tailoring_share


def test_label_agreement_ignores_label_names():
    assert label_agreement([5, 5, 7, 7, 9], ["a", "a", "b", "b", "c"]) == {"ari": 1.0, "nmi": 1.0}
    assert label_agreement([0, 0, 0, 0], ["a", "a", "b", "b"])["nmi"] == pytest.approx(0.0)
    with pytest.raises(ValueError, match="3 predicted labels but 2"):
        label_agreement([0, 1, 2], ["a", "b"])


def test_persona_tag_accuracy_credits_any_persona_of_a_merged_tag():
    tags = {"u1": "devops", "u2": "devops + dba", "u3": "finops", "u4": "unmapped", "u5": "ml"}
    truth = {"u1": "devops", "u2": "dba", "u3": "devops", "u4": "ml"}  # u5 has no ground truth: left out
    result = persona_tag_accuracy(tags, truth)
    assert result.as_dict() == {"accuracy": 0.5, "users": 4, "merged": 1}


def test_tailoring_share_per_tag_and_overall():
    recs = pd.DataFrame(
        [("u1", "ecs"), ("u1", "cloudmonitor"), ("u1", "rds"), ("u2", "rds"), ("u2", "oss"), ("u3", "billing"),
         ("u3", "ecs"), ("nobody", "ecs"), ("lost", "ecs")],  # untagged and unmapped users are left out
        columns=["user_id", "service"],
    ).assign(rank=1)
    tags = {"u1": "devops", "u2": "devops + dba", "u3": "finops", "lost": "unmapped"}
    services = {"devops": {"ecs", "cloudmonitor", "ros"}, "dba": {"rds", "cloudmonitor"}, "finops": {"billing"}}
    table = persona_tailoring_share(recs, tags, services).set_index("persona_tag")
    assert table.loc["devops", ["recommendations", "tailored"]].tolist() == [3, 2]
    assert table.loc["devops + dba", "share"] == pytest.approx(1 / 2)  # rds in dba's services, oss in none
    assert table.loc["finops", "share"] == pytest.approx(1 / 2)
    assert "unmapped" not in table.index
    assert table.loc["all", ["users", "recommendations", "tailored"]].tolist() == [3, 7, 4]
    assert table.loc["all", "share"] == pytest.approx(4 / 7)
    with pytest.raises(ValueError, match=r"personas \['ml'\] have no service set"):
        persona_tailoring_share(recs, {"u1": "ml"}, services)


def test_paired_agreement_intervals_separate_a_true_clustering_from_a_shuffled_one():
    rng = np.random.default_rng(0)
    truth = [f"p{i % 4}" for i in range(120)]
    exact = [t.replace("p", "c") for t in truth]
    shuffled = list(rng.permutation(exact))
    correct = {"exact": [True] * 120, "shuffled": [t == s.replace("c", "p") for t, s in zip(truth, shuffled)]}
    out = paired_agreement_intervals(truth, {"exact": exact, "shuffled": shuffled}, correct, reference="shuffled")
    assert out["ari"]["exact"]["value"] == 1.0 and out["ari"]["exact"]["n"] == 120
    assert out["ari"]["exact_minus_shuffled"]["lo"] > 0.5
    assert out["persona_tag_accuracy"]["exact"]["value"] == 1.0
    assert out["persona_tag_accuracy"]["exact_minus_shuffled"]["lo"] > 0.4
    same = paired_agreement_intervals(truth, {"a": exact, "b": list(exact)}, {"a": [True] * 120, "b": [True] * 120}, "b")
    assert same["ari"]["a_minus_b"] == {"value": 0.0, "lo": 0.0, "hi": 0.0, "n": 120}
