import datetime as dt

from persona_dagster.personas.future_interactions import (
    evidence_matches, hit_rate, ks_for, new_items, rank_by_history, rank_by_named,
)
from persona_dagster.personas.induction_split import split_induction
from persona_dagster.personas.memories import memories_from_segments
from persona_dagster.personas.persona_judge import Catalogue, named_entities
from persona_dagster.personas.toy_segments import toy_segments

CATALOGUE = Catalogue(
    activity_task={"billing;invoices": "review_costs", "billing;bills": "review_costs", "budgets;alerts": "manage_budgets",
                   "vpc;vpcs": "configure_network", "docs;home": ""},
    persona_tasks={"finops_manager": frozenset({"review_costs", "manage_budgets"})},
)


def test_hit_rate_counts_users_whose_top_k_meets_their_future():
    rankings = {"a": ["x", "y", "z"], "b": ["z", "y", "x"], "c": ["x"]}
    future = {"a": {"z"}, "b": {"z"}, "c": set()}  # c has no future item: not scored
    assert hit_rate(rankings, future, 1) == 0.5
    assert hit_rate(rankings, future, 3) == 1.0


def test_only_items_new_to_the_user_are_the_future_and_k_scales_with_the_catalogue():
    assert new_items({"a": {"x"}}, {"a": {"x", "y"}, "b": {"z"}}) == {"a": {"y"}, "b": {"z"}}
    assert ks_for(173) == [4, 9, 18] and ks_for(10) == [1]


def test_personas_rank_what_they_name_first_and_history_ranks_by_shared_task():
    named = [named_entities("Cost reviewer: Reviews costs in billing (bills).", CATALOGUE)]
    candidates = ["billing;bills", "budgets;alerts", "docs;home", "vpc;vpcs"]
    popularity = {"vpc;vpcs": 100.0}
    assert rank_by_named(named, candidates, CATALOGUE, popularity)[0] == "billing;bills"
    assert rank_by_named([], candidates, CATALOGUE, popularity)[0] == "vpc;vpcs"
    assert rank_by_history(["billing;invoices"], candidates, CATALOGUE, popularity)[0] == "billing;bills"


def test_split_holds_out_users_and_later_days():
    memories = memories_from_segments(toy_segments(n_users=6, seed=0))
    split = split_induction(memories, train_users=3, heldout_users=2)
    assert not set(split.train_users) & set(split.heldout_users) and len(split.heldout_users) == 2
    users = sorted({m.user_id for m in memories})
    before, after = split.before(memories, users), split.after(memories, users)
    assert before and after
    assert all(m.start_ts.date() <= split.cutoff < n.start_ts.date() for m in before for n in after)
    assert split == split_induction(list(reversed(memories)), train_users=3, heldout_users=2)
    assert isinstance(split.cutoff, dt.date)


def test_evidence_matches_a_persona_by_majority_of_its_labelled_events():
    tasks = frozenset({"monitor", "alerts"})
    assert evidence_matches(["monitor", "alerts", "billing", ""], tasks)
    assert not evidence_matches(["billing", "billing", "monitor"], tasks)
    assert not evidence_matches(["", ""], tasks)
