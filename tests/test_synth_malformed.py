"""Injected bad rows: each recorded row has exactly its problem, clean rows are untouched, counts add up."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from persona_dagster.events.schema import BILLING_TIERS, EVENT_COLUMNS
from persona_dagster.landing.reader import UnreadableFileError, read_landing_file
from persona_dagster.synth import MALFORMED_KINDS, SynthConfig, generate
from persona_dagster.synth.malformed import apply_text_edits, inject_malformed, kinds_for

CONFIG = SynthConfig(users=60, days=3, seed=5, fmt="mixed", malformed_rate=0.1, corrupt_file=True)


def file_records(path: Path) -> list[dict[str, str | None]]:
    """The records of one landing file as the pipeline's reader sees them, in file order."""
    raw = read_landing_file(path)
    assert raw["source_row"].to_pylist() == list(range(1, raw.num_rows + 1)), f"{path} has blank lines"
    return raw.drop_columns(["source_row"]).to_pylist()


def problems(record: dict[str, str | None], day: str, earlier: set[tuple]) -> set[str]:
    """Every problem a record has, found independently of the ground truth."""
    if record["parse_error"]:
        return {"unparseable_row"}
    found = set()
    if record["extra_columns"]:
        found.add("unknown_columns")
    if not record["user_id"]:
        found.add("missing_user_id")
    try:
        when = dt.datetime.strptime(record["ts"] or "", "%Y-%m-%dT%H:%M:%SZ")
        if when.date().isoformat() != day:
            found.add("ts_outside_partition")
    except ValueError:
        found.add("unparseable_timestamp")
    if not record["service"]:
        found.add("empty_service")
    if not record["page"]:
        found.add("missing_page")
    if record["billing_tier"] not in BILLING_TIERS:
        found.add("invalid_billing_tier")
    if tuple(record.values()) in earlier:
        found.add("duplicate_event")
    return found


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> tuple[Path, Path]:
    bad, clean = tmp_path_factory.mktemp("with_bad_rows"), tmp_path_factory.mktemp("clean")
    generate(CONFIG, bad)
    generate(dataclasses.replace(CONFIG, malformed_rate=0.0, corrupt_file=False), clean)
    return bad, clean


@pytest.fixture(scope="module")
def malformed(runs) -> pd.DataFrame:
    return pd.read_csv(runs[0] / "ground_truth" / "malformed.csv")


def test_every_kind_is_injected_only_where_its_format_allows(malformed):
    assert set(malformed["kind"]) == set(MALFORMED_KINDS)
    for name, kind in zip(malformed["file"], malformed["kind"]):
        assert kind in kinds_for(name.rsplit(".", 1)[-1]), f"{kind} in {name}"
    assert kinds_for("parquet") == tuple(k for k in MALFORMED_KINDS if k not in ("unparseable_row", "unknown_columns"))
    assert not malformed.duplicated(["file", "row"]).any(), "one problem per injected row"


def test_each_recorded_row_has_exactly_its_problem_and_no_other_row_has_one(runs, malformed):
    bad, clean = runs
    landing = bad / "landing"
    recorded = {(f, r): k for f, r, k in malformed.itertuples(index=False)}
    checked = 0
    for path in sorted(landing.glob("dt=*/events*")):
        name = path.relative_to(landing).as_posix()
        day = path.parent.name.removeprefix("dt=")
        earlier: set[tuple] = set()
        records = file_records(path)
        for row, record in enumerate(records, start=1):
            expected = {recorded[(name, row)]} if (name, row) in recorded else set()
            assert problems(record, day, earlier) == expected, f"{name} row {row}: {record}"
            earlier.add(tuple(record.values()))
            checked += bool(expected)
        n_clean = len(file_records(clean / "landing" / name))
        assert len(records) == n_clean + sum(1 for f, _ in recorded if f == name)
    assert checked == len(malformed) > 100


def test_clean_rows_are_kept_unchanged_and_in_order(runs, malformed):
    bad, clean = runs
    for path in sorted((clean / "landing").glob("dt=*/events*")):
        name = path.relative_to(clean / "landing").as_posix()
        injected = set(malformed.loc[malformed["file"] == name, "row"])
        kept = [r for i, r in enumerate(file_records(bad / "landing" / name), start=1) if i not in injected]
        assert kept == file_records(path), name


def test_duplicates_copy_an_earlier_clean_row_with_its_event_id(runs, malformed):
    landing = runs[0] / "landing"
    duplicates = malformed[malformed["kind"] == "duplicate_event"]
    assert len(duplicates) >= 5
    for name, rows in duplicates.groupby("file")["row"]:
        records = file_records(landing / name)
        bad_rows = set(malformed.loc[malformed["file"] == name, "row"])
        for row in rows:
            copy = records[row - 1]
            originals = [i for i, r in enumerate(records[: row - 1], start=1) if r == copy and i not in bad_rows]
            assert originals, f"{name} row {row} copies no earlier clean row"


def test_added_rows_take_new_event_ids(runs, malformed):
    """Only duplicates reuse an id, so dropping bad rows never drops the clean event they copied."""
    landing = runs[0] / "landing"
    for name, group in malformed[malformed["kind"] != "duplicate_event"].groupby("file"):
        records = file_records(landing / name)
        ids = pd.Series([r["event_id"] for r in records])
        for row, kind in zip(group["row"], group["kind"]):
            if kind != "unparseable_row":
                assert (ids == records[row - 1]["event_id"]).sum() == 1


def test_corrupt_file_is_recorded_and_unreadable(runs):
    bad, _ = runs
    corrupt = pd.read_csv(bad / "ground_truth" / "corrupt_files.csv")
    assert len(corrupt) == 1 and corrupt.loc[0, "reason"] == "unreadable_file"
    path = bad / "landing" / corrupt.loc[0, "file"]
    assert path.name == "corrupt-part.parquet"
    with pytest.raises(UnreadableFileError):
        read_landing_file(path)
    assert not list((bad / "landing").glob("dt=*/.*")), "no temporary files are left in the landing zone"
    assert not list(bad.glob(".synth-staging-*")), "the staging folder is removed"


def test_injection_is_deterministic_and_leaves_the_input_alone():
    columns = {c: np.array([f"{c}{i}" for i in range(50)], dtype=object) for c in EVENT_COLUMNS}
    columns["ts"] = np.array([f"2026-01-02T10:00:{i:02d}Z" for i in range(50)], dtype=object)
    before = {c: v.copy() for c, v in columns.items()}
    first = inject_malformed(columns, "jsonl", 0.2, np.random.default_rng(3), "new{}".format)
    second = inject_malformed(columns, "jsonl", 0.2, np.random.default_rng(3), "new{}".format)
    assert all((columns[c] == before[c]).all() for c in EVENT_COLUMNS)
    assert first.bad_rows == second.bad_rows and len(first.bad_rows) == 10
    assert all((first.columns[c] == second.columns[c]).all() for c in EVENT_COLUMNS)
    assert len(first.columns["event_id"]) == 60
    copies = sum(kind == "duplicate_event" for _, kind in first.bad_rows)
    new_ids = [e for e in first.columns["event_id"] if e.startswith("new")]
    assert len(set(new_ids)) == len(new_ids) == 10 - copies, "every added row but a duplicate gets a new id"


def test_text_edits_refuse_kinds_their_format_cannot_carry(tmp_path):
    path = tmp_path / "events.csv"
    path.write_text("event_id,user_id\ne1,u1\n", encoding="utf-8")
    with pytest.raises(ValueError, match="CSV files cannot carry 'unparseable_row'"):
        apply_text_edits(path, "csv", {1: "unparseable_row"})
    jsonl = tmp_path / "events.jsonl"
    jsonl.write_text(json.dumps({"event_id": "e1"}) + "\n", encoding="utf-8")
    apply_text_edits(jsonl, "jsonl", {1: "unknown_columns"})
    assert json.loads(jsonl.read_text(encoding="utf-8"))["referrer"]
