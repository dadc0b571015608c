"""The independent judge: natural-language task mentions, hallucinated names, label -> true persona, P/R/F1."""

from persona_dagster.personas.persona_judge import (
    Catalogue, identified_persona, judge_user, named_entities, precision_recall_f1, unsupported_share,
)

CATALOGUE = Catalogue(
    activity_task={"billing;invoices": "review_costs", "budgets;alerts": "manage_budgets",
                   "vpc;vpcs": "configure_network", "vpc;route-tables": "configure_network", "docs;home": ""},
    persona_tasks={"finops_manager": frozenset({"review_costs", "manage_budgets"}),
                   "network_engineer": frozenset({"configure_network"})},
)


def test_names_are_read_from_natural_language():
    named = named_entities("Cost reviewer focused on billing: Reviews costs in billing (invoices) and budgets.",
                           CATALOGUE)
    assert named.services == {"billing", "budgets"} and named.pages == {"billing;invoices"}
    assert named.tasks == {"review_costs"} and not named.unknown


def test_a_name_absent_from_the_catalogue_and_one_outside_the_evidence_are_hallucinations():
    text = "Network configurer: Configures networks in vpc (vpcs) and CloudWatch-Pro, and checks billing."
    named = named_entities(text, CATALOGUE)
    assert named.unknown == {"CloudWatch-Pro"}
    bad, total = unsupported_share(named, ["vpc;vpcs"], ["configure_network"])
    assert (bad, total) == (2, 5)  # billing (not in the evidence) and CloudWatch-Pro, of vpc, vpcs, task, both
    assert unsupported_share(named_entities("Configures networks in vpc (vpcs).", CATALOGUE),
                             ["vpc;vpcs"], ["configure_network"]) == (0, 3)


def test_a_label_identifies_the_persona_whose_tasks_it_names():
    assert identified_persona("Network configurer focused on vpc", CATALOGUE) == "network_engineer"
    assert identified_persona("Finops manager on billing", CATALOGUE) == "finops_manager"
    assert identified_persona("Enthusiastic cloud fan", CATALOGUE) is None


def test_judge_scores_a_user_against_their_true_personas():
    right = judge_user([("Cost reviewer on billing", "Reviews costs in billing (invoices).")], ["finops_manager"],
                       CATALOGUE)
    wrong = judge_user([("Network configurer on vpc", "Configures networks in vpc.")], ["finops_manager"], CATALOGUE)
    assert right["task_precision"] == 1.0 and right["task_recall"] == 0.5
    assert right["label_identifies_true_persona"] == 1.0 and wrong["label_identifies_true_persona"] == 0.0
    assert wrong["task_f1"] == 0.0 and wrong["service_f1"] == 0.0
    assert precision_recall_f1(set(), {"a"}) == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_per_user_metrics_count_an_invented_product_as_a_hallucination():
    from persona_dagster.personas.induction_evaluation import item_futures, per_user_metrics
    from persona_dagster.personas.induction_run import prepare_induction
    from persona_dagster.personas.memories import memories_from_segments
    from persona_dagster.personas.toy_segments import toy_segments

    memories = memories_from_segments(toy_segments(n_users=3, seed=0))
    setup = prepare_induction(memories, 64)
    catalogue = Catalogue({p: "" for m in memories for p in m.pages}, {})
    seen, future, popularity = item_futures(memories[: len(memories) // 2], memories[len(memories) // 2:])
    faithful = per_user_metrics(setup, [[t.teacher.text] for t in setup.tasks], catalogue, None, future, seen,
                                popularity)
    invented = per_user_metrics(setup, [[t.teacher.text + " Also runs MegaCloud-X."] for t in setup.tasks],
                                catalogue, None, future, seen, popularity)
    users = sorted(faithful["hallucination_rate"])
    assert users and all(invented["hallucination_rate"][u] > faithful["hallucination_rate"][u] for u in users)


def test_a_task_written_as_a_slug_is_that_task_not_an_unknown_name():
    named = named_entities("Configure-network user focused on vpc: configure_network in vpc (vpcs).", CATALOGUE)
    assert named.tasks == {"configure_network"} and not named.unknown
    assert named_entities("Cloud-console user focused on vpc.", CATALOGUE).unknown == {"Cloud-console"}


def test_a_page_belongs_to_the_service_it_follows_not_to_an_earlier_one():
    named = named_entities("Works in billing (invoices), vpc (vpcs) and billing (invoices).", CATALOGUE)
    assert named.pages == {"billing;invoices", "vpc;vpcs"}
    # invoices is billing's page: after 'vpc (vpcs), billing' it does not make vpc;invoices, nor route-tables vpc's
    named = named_entities("Configures vpc (vpcs), billing (invoices) and route-tables.", CATALOGUE)
    assert named.pages == {"vpc;vpcs", "billing;invoices"}
    assert named_entities("Configures vpc and its route-tables.", CATALOGUE).pages == {"vpc;route-tables"}


def test_a_made_up_service_written_with_catalogue_pages_is_a_hallucination():
    text = "Budget keeper focused on billing and monitorer: Reviews costs in billing (invoices) and monitorer (alerts)."
    named = named_entities(text, CATALOGUE)
    assert named.unknown == {"monitorer"} and named.services == {"billing"}
    assert unsupported_share(named, ["billing;invoices"], ["review_costs"])[0] == 1
    # A task list in parentheses, or a real service with its pages, invents nothing.
    assert not named_entities("Reviews costs (review_costs) in budgets (alerts).", CATALOGUE).unknown
