"""Any clickstream works: one day, one timestamp, one page per service, odd names, no reference files."""

import json
from pathlib import Path

import dagster as dg
import pytest

from tests.foundation.pipeline_fixtures import DAY1, TINY_MODELS, data_dir, query

from persona_dagster.landing.writer import write_day

pytestmark = pytest.mark.slow

# One page per service; names with spaces, quotes, apostrophes, ';' and non-ASCII letters.
PAGES = {"Internet Explorer": "Home Page", "O'Reilly \"Books\"": "Ed. 2; revised", "Café Zürich": "Menü",
         "news": "news", "sports": "sports", "weather": "weather"}
TASTES = [("Internet Explorer", "news", "weather"), ("O'Reilly \"Books\"", "Café Zürich", "news"),
          ("sports", "weather", "Café Zürich")]
ONE_INSTANT = "2026-01-01T00:00:00Z"
# Assets that need persona definitions or a policy LM are out of scope here; everything else builds.
SKIPPED = {"persona_policy", "induced_personas", "persona_induction_evaluation", "recommendation_evaluation"}


def land_odd_day(root: Path, users: int, one_event_only: bool = False) -> None:
    """users x 4 sessions, every event of every session at the same instant; every third session one event long."""
    rows = {c: [] for c in ("user_id", "session_id", "ts", "service", "page")}
    for u in range(users):
        taste = TASTES[u % len(TASTES)]
        for s in range(4):
            length = 1 if one_event_only or (u + s) % 3 == 0 else 2 + (u + s) % 3
            for i in range(length):
                service = taste[(s + i) % len(taste)]
                for column, value in zip(rows, (f"user {u}", f"s{s}", ONE_INSTANT, service, PAGES[service])):
                    rows[column].append(value)
    half = len(rows["user_id"]) // 2
    write_day(root / "landing", DAY1, {c: v[:half] for c, v in rows.items()}, fmt="csv", name="first")
    write_day(root / "landing", DAY1, {c: v[half:] for c, v in rows.items()}, fmt="jsonl", name="second")


def build(root: Path, exclude: set[str] = frozenset(), only: set[str] | None = None) -> list[dg.ExecuteInProcessResult]:
    """Materialize every asset in scope (or `only` those) for the one day, with tiny models."""
    from persona_dagster.definitions import defs
    from persona_dagster.runner import materialize_days

    graph = defs.resolve_asset_graph()
    selection = {k for k in graph.materializable_asset_keys if k.path[-1] not in SKIPPED | exclude
                 and (only is None or k.path[-1] in only)}
    with data_dir(root):
        return materialize_days(DAY1, DAY1, instance=dg.DagsterInstance.ephemeral(), selection=selection,
                                asset_config=TINY_MODELS, log_level="WARNING")


def step_failures(results: list[dg.ExecuteInProcessResult]) -> dict[str, str]:
    return {e.step_key: e.event_specific_data.error.message for r in results for e in r.all_events
            if e.is_step_failure}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("odd")
    land_odd_day(root, users=18)
    results = build(root)
    assert all(r.success for r in results), step_failures(results)
    return root


def _landed_pairs() -> set[tuple[str, str]]:
    return set(PAGES.items())


def test_persona_map_labels_clusters_by_their_top_landed_services(built):
    rows = query(built, "select persona_tag, top_activities from ml.persona_map")
    assert rows
    for tag, top in rows:
        top = json.loads(top)
        assert {(a["service"], a["page"]) for a in top} <= _landed_pairs()
        assert tag.startswith(top[0]["service"]) and f"{top[0]['service']};" in tag and " users (" in tag
    personas = {p for (p,) in query(built, "select distinct persona from marts.user_personas")}
    assert personas and personas <= {tag for tag, _ in rows}


def test_every_service_and_page_in_the_marts_is_named_as_landed(built):
    services, pairs = set(PAGES), _landed_pairs()
    named = query(built, """select service from marts.user_service_adoption
                            union select top_service from marts.daily_user_activity
                            union select unnest(services) from marts.intent_segments
                            union select intent from marts.intent_segments""")
    assert {s for (s,) in named} == services
    pages = {p for (p,) in query(built, "select unnest(pages) from marts.intent_segments")}
    assert pages == {f"{s};{p}" for s, p in pairs}
    memories = query(built, "select unnest(services) from ml.intent_memories")
    assert {s for (s,) in memories} <= services


def test_recommendations_name_services_as_landed_and_only_new_ones(built):
    recommended = {s for (s,) in query(built, "select distinct service from marts.service_recommendations")}
    assert recommended and recommended <= set(PAGES)
    used = query(built, """select count(*) from marts.service_recommendations r join marts.user_service_adoption a
                           on a.user_id = r.user_id and a.service = r.service and a.first_used_date <= r.as_of_date""")
    assert used == [(0,)]


def test_one_event_sessions_and_too_few_users_fail_with_the_shortfall(tmp_path):
    land_odd_day(tmp_path, users=2, one_event_only=True)
    # The model assets run before the embeddings: leave them out to reach k-means, then run them alone.
    needs_next_activity = {"next_activity_model", "next_activity_evaluation", "service_recommendations"}
    failures = step_failures(build(tmp_path, exclude=needs_next_activity))
    assert list(failures) == ["user_segments"]
    assert "needs at least 3 users with embeddings; there are 2" in failures["user_segments"]
    failures = step_failures(build(tmp_path, only={"next_activity_model", "next_activity_evaluation"}))
    assert "sessions with at least 2 activities; none of the 8 sessions" in failures.pop("next_activity_model")
    assert "none of the" in failures.pop("next_activity_evaluation")
    assert not failures
