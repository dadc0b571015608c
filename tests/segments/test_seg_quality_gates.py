"""The recommendation gates: ERROR by default, failing with the figures when the model loses, passing when it wins."""

import dagster as dg

from persona_dagster.defs.segments.evaluation import BASELINE_CHECKS, QUALITY_GATE_ENV, gate_results
from persona_dagster.evaluation.recommendation import score_split


def _split(seen_days: int, model_hits: list[int], knn_hits: list[int]) -> dict:
    users = [f"u{i}" for i in range(len(model_hits))]
    targets = {u: frozenset({"target"}) for u in users}

    def recs(hits):
        return __import__("pandas").DataFrame(
            [(u, 1, "target" if h else "other") for u, h in zip(users, hits)], columns=["user_id", "rank", "service"])

    scores = score_split({"sessionbert": recs(model_hits), "item_knn": recs(knn_hits),
                          "popularity": recs([0] * len(users))}, targets)
    return {"seen_days": seen_days, "scored_users": len(users), **scores}


def test_a_model_behind_item_knn_fails_its_gate_at_error_with_the_hit_rates(monkeypatch):
    monkeypatch.delenv(QUALITY_GATE_ENV, raising=False)
    splits = [_split(6, [1, 1, 0, 0], [1, 1, 1, 0]), _split(10, [1, 1, 1, 1], [1, 0, 0, 0])]
    results = {r.check_name: r for r in gate_results(splits)}
    knn = results[BASELINE_CHECKS["item_knn"]]
    assert not knn.passed and knn.severity == dg.AssetCheckSeverity.ERROR
    assert knn.metadata["splits_behind"].value == [6]
    rows = knn.metadata["figures"].value
    assert {r["seen_days"]: (r["sessionbert_hit@5"], r["item_knn_hit@5"]) for r in rows} == {6: (0.5, 0.75),
                                                                                              10: (1.0, 0.25)}
    assert results[BASELINE_CHECKS["popularity"]].passed


def test_a_model_that_wins_on_every_split_passes_both_gates():
    splits = [_split(d, [1, 1, 1, 0], [1, 0, 0, 0]) for d in (6, 10, 12)]
    assert all(r.passed for r in gate_results(splits))
    assert splits[0]["sessionbert"]["hit@5_minus_item_knn"]["mean"] == 0.5
