"""The paper rule's rec2 (name similarity) and rec3 (description similarity) rankings of the same candidates."""

import pandas as pd

from persona_dagster.segments.rule_rankings import description_vectors, name_vectors, rerank_by_similarity


def _candidates() -> pd.DataFrame:
    # u1's rule voted most for 'billing'; the names and descriptions say 'log search' is closer to what u1 uses.
    return pd.DataFrame({"user_id": ["u1"] * 3 + ["u2"], "service": ["billing", "log search", "kms", "kms"],
                         "count": [5, 1, 1, 2], "weight": [1.0, 0.5, 0.2, 0.3]})


def test_rec2_puts_the_candidate_whose_name_is_closest_to_a_used_service_first():
    used = {"u1": {"log-service"}, "u2": set()}
    vectors = name_vectors(["billing", "log search", "kms", "log-service"])
    ranked = rerank_by_similarity(_candidates(), used, vectors, k=2)
    u1 = ranked[ranked["user_id"] == "u1"]
    assert list(u1["service"]) == ["log search", "billing"] and list(u1["rank"]) == [1, 2]
    assert u1["similarity"].iloc[0] > 0.1 and u1["similarity"].iloc[1] == 0.0
    # A user without used services ranks by votes alone (similarity 0).
    assert ranked[ranked["user_id"] == "u2"][["service", "similarity"]].values.tolist() == [["kms", 0.0]]


def test_rec3_ranks_by_description_and_a_service_missing_from_the_catalogue_scores_zero():
    descriptions = {"log-service": "Log collection and search with dashboards and alerts.",
                    "log search": "Search your logs with dashboards.",
                    "billing": "Bills, invoices and payment methods."}
    ranked = rerank_by_similarity(_candidates(), {"u1": {"log-service"}}, description_vectors(descriptions), k=3)
    u1 = ranked[ranked["user_id"] == "u1"]
    assert list(u1["service"]) == ["log search", "billing", "kms"]
    assert u1["similarity"].tolist()[1:] == [0.0, 0.0]  # billing shares no word; kms has no description
    assert rerank_by_similarity(_candidates().iloc[:0], {}, {}, k=5).empty
