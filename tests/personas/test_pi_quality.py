"""Persona quality: the score's components respond to what they should, and the heuristic writer."""

from __future__ import annotations

import pytest

from persona_dagster.personas.heuristic_writer import write_persona, write_persona_within
from persona_dagster.personas.memories import memories_from_segments
from persona_dagster.personas.memory_clusters import cluster_memories
from persona_dagster.personas.memory_features import TermEmbedder
from persona_dagster.personas.quality import Persona, PersonaScorer, QualityScore
from persona_dagster.personas.toy_segments import toy_segments


@pytest.fixture(scope="module")
def toy():
    memories = memories_from_segments(toy_segments(n_users=12, seed=0))
    embedder = TermEmbedder().fit(memories)
    clusters = cluster_memories(memories, embedder.embed_memories(memories))
    return memories, clusters, PersonaScorer(memories, embedder)


def _two_persona_user(toy):
    memories, clusters, scorer = toy
    own, other = [c for c in clusters if c.user_id == "u00"]
    by_id = {m.memory_id: m for m in memories}
    return scorer, own, other, write_persona([by_id[i] for i in own.memory_ids])


def test_components_and_final_lie_in_unit_interval(toy) -> None:
    memories, clusters, scorer = toy
    by_id = {m.memory_id: m for m in memories}
    for cluster in clusters:
        others = [c.memory_ids for c in clusters if c.user_id == cluster.user_id and c is not cluster]
        score = scorer.score(write_persona([by_id[i] for i in cluster.memory_ids]), others)
        assert all(0.0 <= v <= 1.0 for v in vars(score).values())
        assert score.truthfulness == 1.0  # the heuristic writer only states what the evidence supports


# u00's first persona is monitoring: cloudwatch (dashboards, alarms, logs) and health (events), daily mornings.
FLUENT = "Monitors CloudWatch dashboards, alarms and logs and Health events, every morning."


def _fluent(persona: Persona, description: str = FLUENT) -> Persona:
    return Persona("Monitoring specialist", description, persona.evidence_ids)


def test_a_fluent_description_is_read_and_fully_supported(toy) -> None:
    scorer, own, other, persona = _two_persona_user(toy)
    fluent = _fluent(persona)
    claims = scorer.claims(fluent.text)
    assert claims.services == {"cloudwatch", "health"} and "monitoring" in claims.task_intents
    assert {"cloudwatch;dashboards", "cloudwatch;alarms", "cloudwatch;logs", "health;events"} <= claims.pages
    score = scorer.score(fluent, [other.memory_ids])
    assert score.truthfulness == 1.0 and scorer.hallucination_rate(fluent) == 0.0
    assert score.specificity > 0.8


def test_a_hallucinated_service_lowers_truthfulness_and_the_final_score(toy) -> None:
    scorer, own, other, persona = _two_persona_user(toy)
    honest = _fluent(persona)
    # sagemaker is in the catalogue (other users use it), not in this evidence.
    lying = _fluent(persona, FLUENT.replace(" and Health", ", SageMaker notebooks and Health"))
    assert "sagemaker" in scorer.claims(lying.text).services
    assert scorer.score(lying, [other.memory_ids]).truthfulness < scorer.score(honest, [other.memory_ids]).truthfulness
    assert scorer.score(lying, [other.memory_ids]).final < scorer.score(honest, [other.memory_ids]).final


@pytest.mark.parametrize("invented", ["Datadog", "PagerDuty", "Grafana Cloud", "prom_exporter", "EC9"])
def test_a_hallucinated_name_absent_from_the_catalogue_lowers_truthfulness(toy, invented) -> None:
    scorer, own, other, persona = _two_persona_user(toy)
    honest = _fluent(persona)
    lying = _fluent(persona, FLUENT.replace(" every morning", f" and pipes them into {invented} every morning"))
    assert scorer.claims(lying.text).unknown_entities == {invented}
    assert scorer.score(lying, [other.memory_ids]).truthfulness < scorer.score(honest, [other.memory_ids]).truthfulness
    assert scorer.hallucination_rate(lying) > scorer.hallucination_rate(honest) == 0.0
    assert scorer.entity_support(lying)[1] == 1


def test_an_invented_date_is_an_unsupported_claim(toy) -> None:
    scorer, own, other, persona = _two_persona_user(toy)
    dated = _fluent(persona, FLUENT.replace(" every morning", " every morning since March 2019"))
    assert scorer.score(dated, [other.memory_ids]).truthfulness < 1.0
    assert scorer.entity_support(dated) == (scorer.entity_support(_fluent(persona))[0] + 2, 2)


def test_a_generic_description_scores_below_a_specific_correct_one(toy) -> None:
    scorer, own, other, persona = _two_persona_user(toy)
    generic = Persona("Cloud user", "Uses cloud services regularly.", persona.evidence_ids)
    specific, vague = scorer.score(_fluent(persona), [other.memory_ids]), scorer.score(generic, [other.memory_ids])
    assert vague.specificity == 0.0 and specific.specificity > 0.8
    assert vague.final < specific.final


@pytest.mark.parametrize("worse", [
    # The old template's notation, same facts.
    "Works on monitoring with cloudwatch (dashboards, alarms, logs) and health (events), daily, mostly in the "
    "mornings.",
    # The same fluent facts, stammered.
    "Monitors CloudWatch CloudWatch dashboards, dashboards, alarms alarms and logs and Health Health events events, "
    "every morning, every morning.",
    # Every name twice.
    "Monitors CloudWatch dashboards, alarms and logs and Health events and monitors CloudWatch dashboards, "
    "alarms and logs and Health events, every morning.",
])
def test_a_templated_or_repetitive_description_scores_below_a_fluent_specific_one(toy, worse) -> None:
    scorer, own, other, persona = _two_persona_user(toy)
    fluent, templated = scorer.score(_fluent(persona), [other.memory_ids]), scorer.score(_fluent(persona, worse),
                                                                                         [other.memory_ids])
    assert templated.truthfulness == fluent.truthfulness == 1.0, "the facts are the same"
    assert templated.specificity < fluent.specificity
    assert templated.final < fluent.final


def test_a_description_of_the_other_persona_is_not_aligned(toy) -> None:
    memories, _, _ = toy
    scorer, own, other, persona = _two_persona_user(toy)
    by_id = {m.memory_id: m for m in memories}
    swapped = write_persona([by_id[i] for i in other.memory_ids])
    wrong = Persona(swapped.label, swapped.description, own.memory_ids)
    assert scorer.score(wrong, [other.memory_ids]).alignment < 0.1 < scorer.score(persona, [other.memory_ids]).alignment


def test_mixed_evidence_is_less_cohesive(toy) -> None:
    scorer, own, other, persona = _two_persona_user(toy)
    mixed = own.memory_ids[: len(own.memory_ids) // 2] + other.memory_ids[: len(other.memory_ids) // 2]
    pure_score = scorer.score(persona, [other.memory_ids])
    mixed_score = scorer.score(Persona(persona.label, persona.description, mixed))
    assert mixed_score.cohesion < pure_score.cohesion
    assert scorer.score(Persona("x", "y", own.memory_ids[:1])).cohesion == 1.0


def test_a_label_without_description_scores_zero(toy) -> None:
    scorer, own, other, persona = _two_persona_user(toy)
    truncated = Persona.from_text(persona.label, persona.evidence_ids)
    assert truncated.description == ""
    assert scorer.score(truncated, [other.memory_ids]) == QualityScore(
        cohesion=pytest.approx(scorer.score(persona).cohesion), alignment=0.0, truthfulness=1.0, specificity=0.0,
        label_focus=1.0, final=0.0,
    )


@pytest.mark.parametrize(("label", "focus"), [
    ("Monitoring user focused on cloudwatch and health", 1.0),  # the top task and the top service
    ("Cloudwatch monitoring specialist", 1.0),
    ("Monitoring specialist", 0.5),  # what kind of user, not where
    ("Health user", None),  # a side service of the evidence: its support over the top service's
    ("User focused on this website", 0.0),  # what two-round DPO drifted labels to (2026-12-04)
])
def test_the_label_is_scored_by_how_far_it_names_what_the_evidence_is_mostly_about(toy, label, focus) -> None:
    scorer, own, other, persona = _two_persona_user(toy)
    labelled = Persona(label, persona.description, persona.evidence_ids)
    score = scorer.score(labelled, [other.memory_ids])
    best = scorer.score(persona, [other.memory_ids])
    assert score.truthfulness == 1.0 and score.specificity == best.specificity, "only the label differs"
    if focus is None:
        assert 0.0 < score.label_focus < 0.5
    else:
        assert score.label_focus == pytest.approx(focus)
    assert (score.final < best.final) == (score.label_focus < 1.0)
    assert (score.final == 0.0) == (score.label_focus == 0.0)


def test_heuristic_writer_names_intent_services_pages_frequency_and_time(toy) -> None:
    _, own, _, persona = _two_persona_user(toy)
    assert persona.label == "Monitoring user focused on cloudwatch and health"
    assert persona.description.startswith("Works on monitoring in cloudwatch (")
    assert persona.description.endswith(", almost every day. Most sessions are in the morning.")
    assert persona.evidence_ids == own.memory_ids
    assert Persona.from_text(persona.text, persona.evidence_ids) == persona


def test_a_writer_held_to_a_length_drops_pages_then_services_and_keeps_the_label(toy) -> None:
    memories, _, _ = toy
    scorer, own, other, persona = _two_persona_user(toy)
    evidence = [m for m in memories if m.memory_id in set(own.memory_ids)]
    words = len(persona.text.split())
    assert write_persona_within(evidence, lambda text: True) == persona
    shorter = write_persona_within(evidence, lambda text: len(text.split()) < words)
    assert len(shorter.text.split()) < words and shorter.label == persona.label
    assert scorer.claims(shorter.text).services == scorer.claims(persona.text).services, "pages go first"
    assert len(scorer.claims(shorter.text).pages) < len(scorer.claims(persona.text).pages)
    shortest = write_persona_within(evidence, lambda text: False)
    assert scorer.claims(shortest.text).services == {"cloudwatch"} and shortest.label.startswith("Monitoring user")
    assert scorer.score(shortest, [other.memory_ids]).truthfulness == 1.0


def test_a_description_without_label_scores_zero(toy) -> None:
    scorer, own, other, persona = _two_persona_user(toy)
    unlabelled = Persona.from_text(": " + persona.description, persona.evidence_ids)
    assert unlabelled.label == "" and unlabelled.description
    assert scorer.score(persona, [other.memory_ids]).final > 0.0
    assert scorer.score(unlabelled, [other.memory_ids]).final == 0.0


def test_truthful_first_ranks_a_higher_scoring_hallucination_below_every_supported_persona(toy) -> None:
    from persona_dagster.personas.groupwise_dpo import ranked_group, truthful_first_scores
    from persona_dagster.personas.induction_tasks import InductionTask

    scorer, own, other, persona = _two_persona_user(toy)
    task = InductionTask("u00", "u00#0", tuple(own.memory_ids), (tuple(other.memory_ids),), "prompt", persona, persona)
    honest = "Monitoring specialist: " + FLUENT
    lying = "Monitoring specialist: " + FLUENT.replace(" and Health", ", SageMaker notebooks and Health")
    # As the score ranks them, the lie may well come first: pretend it scores higher.
    ranked, _ = ranked_group([lying, honest], truthful_first_scores(task, [lying, honest], [0.9, 0.5], scorer))
    assert ranked == [honest, lying]
    assert truthful_first_scores(task, [honest], [0.5], scorer) == [0.5]
