"""Claim extraction from persona texts."""

from __future__ import annotations

from persona_dagster.personas.claims import ClaimVocabulary, extract_claims

VOCABULARY = ClaimVocabulary(
    services=frozenset({"cost-explorer", "billing", "cost", "events", "cloudtrail"}),
    pages=frozenset({"cost-explorer;overview", "billing;invoices", "cloudtrail;events"}),
    task_intents=frozenset({"cost management", "security audit"}),
)


def test_services_pages_and_intents_are_claimed() -> None:
    claims = extract_claims(
        "Cost management user focused on Cost-Explorer: works on cost management with "
        "cost-explorer (overview, forecast) and billing (invoices).",
        VOCABULARY,
    )
    assert claims.services == {"cost-explorer", "billing"}
    # 'cost' is a service too, but only inside the longer names here.
    assert claims.task_intents == {"cost management"}
    assert claims.pages == {"cost-explorer;overview", "cost-explorer;forecast", "billing;invoices"}
    assert claims.n_claims == 6


def test_page_names_inside_page_lists_are_not_service_claims() -> None:
    claims = extract_claims("Audits with cloudtrail (events).", VOCABULARY)
    assert claims.services == {"cloudtrail"} and claims.pages == {"cloudtrail;events"}


def test_frequencies_counts_and_times_of_day() -> None:
    claims = extract_claims("Checks billing daily, 7 times, mostly in the mornings and some evenings.", VOCABULARY)
    assert claims.frequencies == {"daily"}
    assert claims.counts == {7}
    assert claims.times_of_day == {"morning", "evening"}


def test_a_generic_text_claims_nothing() -> None:
    assert extract_claims("Uses cloud services.", VOCABULARY).n_claims == 0
