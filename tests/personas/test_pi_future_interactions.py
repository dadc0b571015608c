from persona_dagster.personas.future_interactions import evidence_matches, hit_rate, rank_items_by_personas
from persona_dagster.personas.memories import memories_from_segments
from persona_dagster.personas.quality import Persona, PersonaScorer
from persona_dagster.personas.toy_segments import toy_segments


def test_hit_rate_counts_users_whose_top_k_meets_their_future():
    rankings = {"a": ["x", "y", "z"], "b": ["z", "y", "x"], "c": ["x"]}
    future = {"a": {"z"}, "b": {"z"}, "c": set()}  # c has no future item: not scored
    assert hit_rate(rankings, future, 1) == 0.5
    assert hit_rate(rankings, future, 3) == 1.0


def test_personas_rank_the_items_they_name_first():
    memories = memories_from_segments(toy_segments(n_users=3, seed=0))
    scorer = PersonaScorer(memories)
    items = sorted({p for m in memories for p in m.pages})
    named = items[-1]
    service, page = named.split(";", 1)
    persona = Persona("x", f"Works with {service} ({page}), daily.", (memories[0].memory_id,))
    ranked = rank_items_by_personas([persona], items, scorer, popularity={items[0]: 100.0})
    assert ranked[0] == named
    assert rank_items_by_personas([], items, scorer, popularity={items[0]: 100.0})[0] == items[0]


def test_evidence_matches_a_persona_by_majority_of_its_labelled_events():
    tasks = frozenset({"monitor", "alerts"})
    assert evidence_matches(["monitor", "alerts", "billing", ""], tasks)
    assert not evidence_matches(["billing", "billing", "monitor"], tasks)
    assert not evidence_matches(["", ""], tasks)
