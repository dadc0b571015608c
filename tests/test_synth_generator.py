"""The synthetic clickstream: catalog rules, valid events, true sessions, adoption, determinism, CLI."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from persona_dagster.events.schema import BILLING_TIERS, EVENT_COLUMNS
from persona_dagster.landing.reader import read_landing_file
from persona_dagster.synth import SynthConfig, default_catalog, generate
from persona_dagster.synth.catalog import TASKS, Catalog, CatalogError, page_kind, validate_catalog
from persona_dagster.synth.cli import add_parser, main
from persona_dagster.synth.generator import SynthConfigError

SMALL = SynthConfig(users=40, days=3, seed=11, fmt="mixed")
TS_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def landing_records(landing: Path) -> pd.DataFrame:
    """Every record of every landing file, read by the pipeline's own reader, with file and day."""
    frames = []
    for path in sorted(landing.glob("dt=*/*")):
        frame = read_landing_file(path).drop_columns(["source_row"]).to_pandas()
        frame["file"] = path.relative_to(landing).as_posix()
        frame["day"] = path.parent.name.removeprefix("dt=")
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def tree_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("synth_small")
    return out, generate(SMALL, out)


@pytest.fixture(scope="module")
def events(small) -> pd.DataFrame:
    out, _ = small
    records = landing_records(out / "landing")
    truth = pd.read_parquet(out / "ground_truth" / "events_truth.parquet")
    merged = records.merge(truth, on="event_id", how="left", validate="one_to_one")
    merged["when"] = pd.to_datetime(merged["ts"], format=TS_FORMAT, utc=True)
    return merged.sort_values(["user_id", "when"], kind="stable").reset_index(drop=True)


def test_catalog_shape():
    catalog = default_catalog()
    assert len(catalog.services) >= 30
    assert all(4 <= len(pages) <= 8 for pages in catalog.services.values())
    assert len(catalog.personas) >= 7
    assert 15 <= len(catalog.tasks) <= 20
    steps = [step for task in catalog.tasks.values() for step in task]
    assert len(steps) == len(set(steps)), "an activity belongs to two tasks"
    all_activities = {(s, p) for s, pages in catalog.services.items() for p in pages}
    assert ("console-home", "overview") in all_activities - set(steps), "navigation pages belong to no task"
    uses = pd.Series([t for p in catalog.personas for t in p.task_weights]).value_counts()
    assert set(uses.index) == set(catalog.tasks), "every task is some persona's"
    assert (uses > 1).any() and (uses == 1).any(), "some tasks are shared and some unique"
    assert all(p.description.strip() for p in catalog.personas)


def test_catalog_rejects_an_activity_in_two_tasks():
    tasks = dict(TASKS)
    tasks["copycat"] = (TASKS["review_costs"][0],)
    broken = Catalog(services=default_catalog().services, tasks=tasks, personas=default_catalog().personas)
    with pytest.raises(CatalogError, match="billing;bills belongs to both 'review_costs' and 'copycat'"):
        validate_catalog(broken)


def test_reference_files_describe_the_catalog(small):
    out, _ = small
    catalog = default_catalog()
    activity_tasks = pd.read_csv(out / "reference" / "activity_tasks.csv")
    assert list(activity_tasks.columns) == ["service", "page", "task"]
    assert not activity_tasks.duplicated(["service", "page"]).any()
    assert len(activity_tasks) == sum(len(steps) for steps in catalog.tasks.values())
    persona_tasks = pd.read_csv(out / "reference" / "persona_tasks.csv")
    assert set(persona_tasks["task"]) <= set(activity_tasks["task"])
    assert (persona_tasks["weight"] > 0).all()
    personas = pd.read_csv(out / "reference" / "personas.csv")
    assert set(personas["persona"]) == set(persona_tasks["persona"]) and len(personas) >= 7


def test_events_are_valid_and_match_their_users(small, events):
    out, summary = small
    users = pd.read_csv(out / "ground_truth" / "users.csv", dtype=str, keep_default_na=False)
    assert len(users) == SMALL.users and users["user_id"].is_unique
    assert len(events) == summary["events"] > 500
    assert events["event_id"].is_unique
    assert events["true_session_id"].notna().all(), "every landing event has a ground-truth row"
    assert events[["parse_error", "extra_columns"]].isna().all().all()
    assert (events["when"].dt.strftime("%Y-%m-%d") == events["day"]).all(), "ts falls on its partition day"
    assert set(events["day"]) == {"2026-01-01", "2026-01-02", "2026-01-03"}

    catalog = default_catalog()
    assert all(page in catalog.services[service] for service, page in zip(events["service"], events["page"]))
    joined = events.merge(users, on="user_id", suffixes=("", "_user"), validate="many_to_one")
    assert len(joined) == len(events), "every user id is in users.csv"
    for column in ("country", "city", "billing_tier"):
        assert (joined[column] == joined[f"{column}_user"]).all()
    assert set(users["billing_tier"]) <= set(BILLING_TIERS)
    assert set(users["country"]) >= {"United States"}, "country names keep their spaces"

    # Users without session ids carry none; the others carry the true id.
    has_ids = joined["has_session_ids"] == "true"
    assert joined.loc[~has_ids, "session_id"].isna().all()
    assert (joined.loc[has_ids, "session_id"] == joined.loc[has_ids, "true_session_id"]).all()
    assert 0.15 < (~users["has_session_ids"].eq("true")).mean() < 0.45


def test_a_30_minute_gap_recovers_the_true_sessions(events):
    gap = events.groupby("user_id")["when"].diff().dt.total_seconds()
    same_session = events["true_session_id"].eq(events.groupby("user_id")["true_session_id"].shift())
    assert gap[same_session].max() <= 600, "clicks inside a session are at most 10 minutes apart"
    assert gap[~same_session].dropna().min() >= 45 * 60, "sessions of one user are at least 45 minutes apart"
    recovered = (gap.isna() | (gap > 30 * 60)).groupby(events["user_id"]).cumsum()
    pairs = pd.DataFrame({"user": events["user_id"], "recovered": recovered, "true": events["true_session_id"]})
    assert pairs.drop_duplicates().groupby(["user", "recovered"]).size().eq(1).all()
    assert pairs["true"].nunique() == len(pairs.drop_duplicates(["user", "recovered"]))


def test_sessions_walk_tasks_with_some_noise(events):
    catalog = default_catalog()
    noise = events["is_noise"]
    assert 0.05 < noise.mean() < 0.16, "about 10% of clicks are navigation noise"
    assert (events.loc[noise, "task"] == "").all() and (events.loc[~noise, "task"] != "").all()
    task_of = catalog.activity_task
    labelled = events.loc[~noise]
    assert all(task_of.get((s, p)) == t for s, p, t in zip(labelled["service"], labelled["page"], labelled["task"]))
    per_session = events.groupby("true_session_id").size()
    assert per_session.median() >= 3
    kinds = [page_kind(p) for p in events["page"]]
    actions = pd.crosstab(pd.Series(kinds, name="kind"), events["action"])
    assert events["action"].value_counts(normalize=True)["view"] > 0.6
    assert actions.loc["view", ["create", "submit"]].sum() == 0, "view pages are only viewed or clicked"
    assert actions.loc["create", "create"] > 0


def test_adoptions_are_first_uses_and_follow_the_persona(small, events):
    out, _ = small
    catalog = default_catalog()
    adoptions = pd.read_csv(out / "ground_truth" / "adoptions.csv")
    users = pd.read_csv(out / "ground_truth" / "users.csv", dtype=str, keep_default_na=False).set_index("user_id")
    assert len(adoptions) >= 20 and not adoptions.duplicated(["user_id", "service"]).any()
    first_use = events.groupby(["user_id", "service"])["ts"].min()
    for row in adoptions.itertuples():
        assert first_use[(row.user_id, row.service)] == row.first_ts
        assert row.first_ts.startswith(row.first_date)
    initial = pd.read_csv(out / "ground_truth" / "initial_services.csv")
    allowed = set(zip(initial["user_id"], initial["service"])) | set(zip(adoptions["user_id"], adoptions["service"]))
    used = {(u, s) for u, s in zip(events["user_id"], events["service"]) if s not in catalog.base_services}
    assert used <= allowed, "sessions only visit services the user knew or adopted"
    assert not set(zip(initial["user_id"], initial["service"])) & set(zip(adoptions["user_id"], adoptions["service"]))

    def persona_services(user: str) -> frozenset[str]:
        personas = [users.at[user, "main_persona"], users.at[user, "second_persona"]]
        return frozenset().union(*(catalog.persona_services(p) for p in personas if p))

    in_persona = [service in persona_services(u) for u, service in zip(adoptions["user_id"], adoptions["service"])]
    assert sum(in_persona) / len(in_persona) > 0.9


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path):
    config = dataclasses.replace(SMALL, users=15, malformed_rate=0.05, corrupt_file=True)
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    generate(config, first)
    generate(config, second)
    generate(dataclasses.replace(config, seed=12), other)
    assert tree_bytes(first) == tree_bytes(second)
    a, c = tree_bytes(first / "landing"), tree_bytes(other / "landing")
    assert all(a[name] != c.get(name) for name in a if name.endswith(("events.csv", "events.jsonl")))


def test_more_days_extend_a_run_without_changing_earlier_days(tmp_path):
    generate(dataclasses.replace(SMALL, users=15, days=2), tmp_path / "short")
    generate(dataclasses.replace(SMALL, users=15, days=3), tmp_path / "long")
    short, long = tree_bytes(tmp_path / "short" / "landing"), tree_bytes(tmp_path / "long" / "landing")
    assert short == {name: long[name] for name in short} and len(long) == len(short) + 1


def test_every_format_is_readable_and_holds_the_same_events(tmp_path):
    frames = {}
    for fmt in ("parquet", "csv", "jsonl"):
        generate(dataclasses.replace(SMALL, users=10, days=2, fmt=fmt), tmp_path / fmt)
        frames[fmt] = landing_records(tmp_path / fmt / "landing")[list(EVENT_COLUMNS)]
        glob = str(tmp_path / fmt / "landing" / "dt=*" / f"*.{fmt}")
        reader = {"parquet": "read_parquet", "csv": "read_csv", "jsonl": "read_json"}[fmt]
        assert duckdb.sql(f"select count(*) from {reader}('{glob}')").fetchall()[0][0] == len(frames[fmt])
    pd.testing.assert_frame_equal(frames["parquet"], frames["csv"])
    pd.testing.assert_frame_equal(frames["parquet"], frames["jsonl"])


def test_large_days_split_into_parts(tmp_path):
    summary = generate(dataclasses.replace(SMALL, users=10, days=1, max_rows_per_file=40), tmp_path)
    parts = sorted((tmp_path / "landing" / "dt=2026-01-01").iterdir())
    assert [p.name for p in parts[:2]] == ["events-000.parquet", "events-001.parquet"]
    assert len(parts) == -(-summary["events"] // 40)
    assert len(landing_records(tmp_path / "landing")) == summary["events"]


def test_config_rejects_bad_knobs():
    with pytest.raises(SynthConfigError, match="fmt must be one of"):
        SynthConfig(fmt="xml")
    with pytest.raises(SynthConfigError, match="no_session_id_share"):
        SynthConfig(no_session_id_share=1.5)
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        SynthConfig(start="01/02/2026")


def test_cli_generates_into_the_data_dir(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PERSONA_DAGSTER_DATA_DIR", str(tmp_path))
    assert main(["generate", "--users", "6", "--days", "2", "--start", "2026-02-01", "--format", "csv"]) == 0
    assert sorted(p.name for p in (tmp_path / "landing").iterdir()) == ["dt=2026-02-01", "dt=2026-02-02"]
    assert '"events"' in capsys.readouterr().out

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["generate", "--out", str(tmp_path / "x"), "--malformed-rate", "0.1", "--corrupt-file"])
    assert args.users == 300 and args.days == 14 and args.fmt == "parquet"
    assert args.malformed_rate == 0.1 and args.corrupt_file and callable(args.func)


def test_demo_defaults_make_a_mid_sized_dataset(tmp_path):
    config = SynthConfig()
    assert (config.users, config.days, config.start) == (300, 14, "2026-01-01")
    summary = generate(config, tmp_path)
    assert 30_000 <= summary["events"] <= 60_000
    assert len(summary["events_per_day"]) == 14 and min(summary["events_per_day"].values()) > 0
