"""Generated data -> raw load -> dbt (real DuckDB file, real dbt runs) through Dagster in-process."""

import csv
from collections import defaultdict

import dagster as dg
import pyarrow.parquet as pq
import pytest

from persona_dagster.sequences import CONTEXT_SECTIONS, format_session_sequence
from persona_dagster.synth.generator import SynthConfig, generate

from tests.foundation.pipeline_fixtures import DAY1, DAY2, DAY3, copy_inputs, materialize, query

pytestmark = pytest.mark.slow

MART_TABLES = ["marts.sessions", "marts.session_sequences", "marts.intent_segments",
               "marts.user_service_adoption", "marts.daily_user_activity",
               "staging.stg_clickstream__events", "staging.stg_clickstream__quarantine"]


def _fingerprint(path, table):
    """Row count and an order-independent content hash of a table."""
    # loaded_at records when a load ran, not what it loaded.
    return query(path, f"select count(*), sum(hash(t::varchar)) "
                       f"from (select columns(c -> c <> 'loaded_at') from {table}) as t")[0]


@pytest.fixture(scope="module")
def per_day(tmp_path_factory):
    """Days 1 and 2 materialized as two separate partition runs."""
    root = tmp_path_factory.mktemp("per_day")
    generate(SynthConfig(users=40, days=3, seed=11, fmt="mixed", malformed_rate=0.03, corrupt_file=True), root)
    materialize(root, DAY1, DAY1)
    materialize(root, DAY2, DAY2)
    return root


def test_rerunning_a_partition_changes_nothing(per_day):
    before = {t: _fingerprint(per_day, t) for t in MART_TABLES + ["raw.events"]}
    materialize(per_day, DAY1, DAY1)
    after = {t: _fingerprint(per_day, t) for t in MART_TABLES + ["raw.events"]}
    assert after == before
    assert query(per_day, "select count(distinct event_date) from marts.sessions")[0][0] == 2


def test_range_backfill_equals_day_by_day_runs(per_day, tmp_path):
    ranged = copy_inputs(per_day, tmp_path / "ranged")
    instance = dg.DagsterInstance.ephemeral()
    materialize(ranged, DAY1, DAY3, instance=instance)
    # The one range run records each day's own figures on that day's materialization.
    per_day_rows = dict(query(ranged, "select event_date::varchar, count(*) from marts.sessions group by 1"))
    for day, rows in per_day_rows.items():
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=dg.AssetKey(["marts", "sessions"]), asset_partitions=[day]), limit=1)
        metadata = records.records[0].asset_materialization.metadata
        assert (metadata["rows_in_window"].value, metadata["rows_total"].value) == (rows, sum(per_day_rows.values()))
    days = "event_date < date '2026-01-03'"
    for table in ["marts.sessions", "marts.session_sequences", "marts.intent_segments",
                  "staging.stg_clickstream__quarantine", "marts.daily_user_activity"]:
        sql = f"select count(*), sum(hash(t::varchar)) from {table} as t where {days}"
        assert query(ranged, sql) == query(per_day, sql), table
    assert query(ranged, "select count(distinct event_date) from marts.sessions")[0][0] == 3


def test_every_injected_bad_row_is_quarantined_with_its_reason(per_day):
    with open(per_day / "ground_truth" / "malformed.csv") as fh:
        injected = {(r["file"], int(r["row"]), r["kind"]) for r in csv.DictReader(fh)
                    if r["file"] < "dt=2026-01-03"}
    quarantined = set(query(per_day, "select source_file, source_row, quarantine_reason "
                                     "from staging.stg_clickstream__quarantine"))
    assert injected, "the generator injected no bad rows"
    assert quarantined == injected
    raw, clean, bad = query(per_day, """
        select (select count(*) from raw.events), (select count(*) from staging.stg_clickstream__events),
               (select count(*) from staging.stg_clickstream__quarantine)""")[0]
    assert raw == clean + bad
    with open(per_day / "ground_truth" / "corrupt_files.csv") as fh:
        corrupt = {r["file"] for r in csv.DictReader(fh) if r["file"] < "dt=2026-01-03"}
    assert {r[0] for r in query(per_day, "select source_file from raw.file_errors")} == corrupt


def test_inferred_sessions_match_the_true_sessions(per_day):
    truth = pq.read_table(per_day / "ground_truth" / "events_truth.parquet").to_pydict()
    true_session = dict(zip(truth["event_id"], truth["true_session_id"]))
    rows = query(per_day, "select event_id, session_key, is_inferred_session "
                          "from intermediate.int_clickstream__sessionized_events")
    assert any(inferred for _, _, inferred in rows), "no user without session ids in the sample"
    ours, theirs = defaultdict(set), defaultdict(set)
    for event_id, key, _ in rows:
        ours[key].add(true_session[event_id])
        theirs[true_session[event_id]].add(key)
    assert all(len(v) == 1 for v in ours.values()), "a session mixes events of different true sessions"
    assert all(len(v) == 1 for v in theirs.values()), "a true session was split"


def test_sequences_follow_the_sessionbert_format(per_day):
    rows = query(per_day, """
        select sequence, activities, location_tokens, daily_page_tokens, daily_service_tokens,
               daily_billed_tokens, monthly_billed_tokens, event_date, n_activities
        from marts.session_sequences""")
    assert rows
    for sequence, activities, *sections, event_date, n in rows:
        assert sequence == format_session_sequence(activities, dict(zip(CONTEXT_SECTIONS, sections)))
        assert n == len(activities) and all(";" in a and " " not in a for a in activities)
        if event_date == DAY1:  # context only describes earlier days: none before the first day
            assert sections[1:] == [[], [], [], []]
    assert any(r[3] for r in rows if r[7] == DAY2), "day 2 sessions carry the previous day's pages"
    ordered = query(per_day, """
        select count(*) from marts.session_sequences s
        join (select session_key, list(activity order by event_seq) as acts
              from intermediate.int_clickstream__sessionized_events group by 1) e using (session_key)
        where s.activities <> e.acts""")
    assert ordered[0][0] == 0


def test_intent_segments_are_maximal_runs_covering_every_event(per_day):
    mismatched = query(per_day, """
        with runs as (
            select session_key, sum(n_actions) as n, bool_or(intent = prev) as repeats
            from (select *, lag(intent) over (partition by session_key order by segment_index) as prev
                  from marts.intent_segments)
            group by session_key
        ),
        ids as (
            select session_key, list(e order by segment_index, i) as ids
            from marts.intent_segments, unnest(event_ids) with ordinality as u(e, i)
            group by session_key
        ),
        ev as (select session_key, list(event_id order by event_seq) as ids, count(*) as n
               from intermediate.int_clickstream__sessionized_events group by 1)
        select count(*) from ev left join runs using (session_key) left join ids using (session_key)
        where ids.ids is distinct from ev.ids or runs.n <> ev.n or runs.repeats""")
    assert mismatched[0][0] == 0
    sources = dict(query(per_day, "select intent_source, count(*) from marts.intent_segments group by 1"))
    assert sources.get("task", 0) > sources.get("service", 0) > 0
