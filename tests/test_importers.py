"""Importers of the real public logs: exact mapping on hand-written fixtures, counts on the real files."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import zipfile
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from persona_dagster.events.schema import EVENT_COLUMNS, LANDING_FORMATS, format_ts
from persona_dagster.importers import SHARED_DATA_DIR, ImportSourceError, import_eshop, import_msnbc
from persona_dagster.importers import eshop, msnbc
from persona_dagster.importers.cli import add_parsers
from persona_dagster.landing.reader import read_landing_file

FIXTURES = Path(__file__).parent / "fixtures" / "importers"
ESHOP_CLEAN = FIXTURES / "eshop_clean.csv"
ESHOP_BAD = FIXTURES / "eshop_bad_rows.csv"
MSNBC_CLEAN = FIXTURES / "msnbc_clean.seq"
MSNBC_BAD = FIXTURES / "msnbc_bad_visits.seq"
MISSING_HINT = "not found; the real logs live in ../shared/data, see its README"

needs_real_data = pytest.mark.skipif(
    not SHARED_DATA_DIR.is_dir(),
    reason=f"{SHARED_DATA_DIR} is absent: the real public logs live outside the repository (see its README)",
)


def read_landing(path: Path) -> list[dict[str, str | None]]:
    """Rows of a landing file in any format, with missing values as None."""
    if path.suffix == ".parquet":
        return pq.read_table(path).to_pylist()
    if path.suffix == ".csv":
        with open(path, newline="", encoding="utf-8") as fh:
            return [{k: (v if v != "" else None) for k, v in row.items()} for row in csv.DictReader(fh)]
    with open(path, encoding="utf-8") as fh:
        return [{c: json.loads(line).get(c) for c in EVENT_COLUMNS} for line in fh]


def read_rejects(path: Path) -> list[tuple[int, str, str]]:
    with open(path, newline="", encoding="utf-8") as fh:
        return [(int(r["line"]), r["reason"], r["text"]) for r in csv.DictReader(fh)]


def day_dirs(landing: Path) -> list[str]:
    return sorted(p.name for p in landing.iterdir() if p.is_dir())


def at(day: str, second: int) -> str:
    return format_ts(dt.datetime.fromisoformat(f"{day}T00:00:00+00:00").timestamp() + second)


# ---- e-shop -------------------------------------------------------------------------------------


def test_eshop_maps_every_field_of_a_day(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    summary = import_eshop(ESHOP_CLEAN, landing)
    assert (summary["rows"], summary["days"], summary["sessions"], summary["rejected"]) == (8, 3, 4, 0)
    assert day_dirs(landing) == ["dt=2008-04-01", "dt=2008-05-17", "dt=2008-08-13"]
    base = {"city": None, "action": "view"}
    assert read_landing(landing / "dt=2008-04-01" / "eshop.parquet") == [
        {**base, "event_id": "eshop-1-1", "user_id": "eshop-s1", "session_id": "1", "ts": "2008-04-01T00:00:01Z",
         "service": "trousers", "page": "A13", "country": "Poland", "billing_tier": "28"},
        {**base, "event_id": "eshop-1-2", "user_id": "eshop-s1", "session_id": "1", "ts": "2008-04-01T00:00:02Z",
         "service": "blouses", "page": "C7", "country": "Poland", "billing_tier": "43"},
        {**base, "event_id": "eshop-1-3", "user_id": "eshop-s1", "session_id": "1", "ts": "2008-04-01T00:00:03Z",
         "service": "sale", "page": "P2", "country": "Poland", "billing_tier": "20"},
        {**base, "event_id": "eshop-2-1", "user_id": "eshop-s2", "session_id": "2", "ts": "2008-04-01T00:00:01Z",
         "service": "skirts", "page": "B10", "country": "Germany", "billing_tier": "57"},
        {**base, "event_id": "eshop-2-2", "user_id": "eshop-s2", "session_id": "2", "ts": "2008-04-01T00:00:02Z",
         "service": "skirts", "page": "B4", "country": "Germany", "billing_tier": "38"},
    ]  # fmt: skip
    # Code 12 is "unidentified" (no country); 44 is the .com domain.
    may = read_landing(landing / "dt=2008-05-17" / "eshop.parquet")
    august = read_landing(landing / "dt=2008-08-13" / "eshop.parquet")
    assert [r["country"] for r in may] == [None, None]
    assert [(r["service"], r["page"], r["country"]) for r in august] == [("blouses", "C17", ".com")]


def test_eshop_timestamps_stay_in_their_day_in_click_order(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    import_eshop(ESHOP_CLEAN, landing)
    for day_dir in landing.iterdir():
        day = day_dir.name.removeprefix("dt=")
        rows = read_landing(day_dir / "eshop.parquet")
        for row in rows:
            order = int(row["event_id"].rsplit("-", 1)[1])
            assert row["ts"] == at(day, order)
        by_session: dict[str, list[str]] = {}
        for row in rows:
            by_session.setdefault(row["session_id"], []).append(row["ts"])
        assert all(ts == sorted(set(ts)) for ts in by_session.values())


def test_eshop_bad_rows_go_to_rejects_with_line_and_reason(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    summary = import_eshop(ESHOP_BAD, landing, fmt="csv")
    assert (summary["rows"], summary["rejected"], summary["blank_lines"]) == (2, 8, 1)
    kept = read_landing(landing / "dt=2008-04-02" / "eshop.csv")
    assert [r["event_id"] for r in kept] == ["eshop-10-1", "eshop-10-2"]
    rejects = read_rejects(Path(summary["rejects_path"]))
    assert Path(summary["rejects_path"]) == tmp_path / "rejects" / "eshop.csv"
    assert [(line, reason.split(":")[0]) for line, reason, _ in rejects] == [
        (3, "year;month;day '2008;2;30'"),
        (4, "page 1 (main category) '7'"),
        (5, "expected 14 ';'-separated fields, got 5"),
        (7, "country '99'"),
        (8, "order(sells) '0'"),
        (9, "page 2 (clothing model) 'a-13'"),
        (10, "price 'abc'"),
        (12, "session id 'x'"),
    ]
    lines = ESHOP_BAD.read_text().splitlines()
    assert all(text == lines[line - 1] for line, _, text in rejects)
    data_lines = sum(1 for line in lines[1:] if line.strip())
    assert summary["rows"] + summary["rejected"] == data_lines


@pytest.mark.parametrize("fmt", [f for f in LANDING_FORMATS if f != "parquet"])
def test_eshop_formats_read_back_the_same_rows(tmp_path: Path, fmt: str) -> None:
    import_eshop(ESHOP_CLEAN, tmp_path / "parquet")
    import_eshop(ESHOP_CLEAN, tmp_path / fmt, fmt=fmt)
    for day in day_dirs(tmp_path / "parquet"):
        expected = read_landing(tmp_path / "parquet" / day / "eshop.parquet")
        assert read_landing(tmp_path / fmt / day / f"eshop.{fmt}") == expected


def test_eshop_rejects_a_file_with_another_header(tmp_path: Path) -> None:
    src = tmp_path / "other.csv"
    src.write_text("a;b;c\n1;2;3\n")
    with pytest.raises(ImportSourceError, match=r"other\.csv, line 1: expected the e-shop header"):
        import_eshop(src, tmp_path / "landing")


# ---- msnbc --------------------------------------------------------------------------------------


def zipped(seq: Path, tmp_path: Path) -> Path:
    """The .seq inside a zip laid out like the UCI one, macOS resource fork included."""
    archive = tmp_path / "msnbc.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.write(seq, "msnbc990928.seq")
        zf.writestr("__MACOSX/._msnbc990928.seq", b"\x00\x05\x16\x07 resource fork")
    return archive


def test_msnbc_reads_the_zip_and_maps_every_field(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    summary = import_msnbc(zipped(MSNBC_CLEAN, tmp_path), landing)
    counts = [summary[k] for k in ("rows", "users", "days", "rejected", "clamped")]
    assert counts == [10, 5, 1, 0, 0]
    rows = read_landing(landing / "dt=1999-09-28" / "msnbc.parquet")
    visits = [(1, 1, "frontpage"), (1, 2, "frontpage"), (2, 1, "news"), (3, 1, "tech"), (3, 2, "news"),
              (3, 3, "news"), (3, 4, "local"), (4, 1, "local"), (5, 1, "frontpage"), (5, 2, "tech")]  # fmt: skip
    assert rows == [
        {"event_id": f"msnbc-{u}-{p}", "user_id": f"msnbc-{u}", "session_id": f"msnbc-{u}",
         "ts": at("1999-09-28", p), "service": name, "page": name, "country": None, "city": None,
         "billing_tier": None, "action": "view"}
        for u, p, name in visits
    ]  # fmt: skip


def test_msnbc_bad_visits_are_rejected_and_the_rest_keep_their_positions(tmp_path: Path) -> None:
    summary = import_msnbc(MSNBC_BAD, tmp_path / "landing")
    rows = read_landing(tmp_path / "landing" / "dt=1999-09-28" / "msnbc.parquet")
    assert [(r["event_id"], r["service"], r["ts"][11:]) for r in rows] == [
        ("msnbc-1-1", "frontpage", "00:00:01Z"),
        ("msnbc-1-2", "news", "00:00:02Z"),
        ("msnbc-2-1", "frontpage", "00:00:01Z"),
        ("msnbc-2-3", "news", "00:00:03Z"),
        ("msnbc-4-2", "tech", "00:00:02Z"),
        ("msnbc-5-1", "local", "00:00:01Z"),
    ]
    assert (summary["rows"], summary["users"], summary["rejected"]) == (6, 5, 3)
    assert read_rejects(Path(summary["rejects_path"])) == [
        (9, "visit 2: category id '9' is not one of 1..4", "9"),
        (10, "empty sequence: a user line with no visits", ""),
        (11, "visit 1: category id 'x' is not one of 1..4", "x"),
    ]


def test_msnbc_limit_takes_the_first_users_and_seed_a_stable_sample(tmp_path: Path) -> None:
    first = import_msnbc(MSNBC_CLEAN, tmp_path / "first", limit_users=2)
    assert (first["users"], first["rows"]) == (2, 3)
    import_msnbc(MSNBC_CLEAN, tmp_path / "all")
    everyone = read_landing(tmp_path / "all" / "dt=1999-09-28" / "msnbc.parquet")
    samples = []
    for run in ("a", "b"):
        import_msnbc(MSNBC_CLEAN, tmp_path / run, limit_users=3, seed=7)
        samples.append(read_landing(tmp_path / run / "dt=1999-09-28" / "msnbc.parquet"))
    assert samples[0] == samples[1]
    sampled_users = {r["user_id"] for r in samples[0]}
    assert len(sampled_users) == 3
    # Sampled users keep their file numbering, so their events match the full import's.
    assert samples[0] == [r for r in everyone if r["user_id"] in sampled_users]
    with pytest.raises(ValueError, match="give limit_users too"):
        import_msnbc(MSNBC_CLEAN, tmp_path / "c", seed=7)


def test_msnbc_clamps_positions_past_the_day_to_its_last_second(tmp_path: Path) -> None:
    src = tmp_path / "long.seq"
    visits = 86_401  # positions 86,400 and 86,401 do not fit in a day
    header = MSNBC_CLEAN.read_text().split("% Sequences:")[0] + "% Sequences:\n\n"
    src.write_text(header + "2 " * visits + "\n")
    summary = import_msnbc(src, tmp_path / "landing", fmt="csv")
    assert (summary["rows"], summary["clamped"]) == (visits, 2)
    rows = read_landing(tmp_path / "landing" / "dt=1999-09-28" / "msnbc.csv")
    assert [r["ts"] for r in rows[-3:]] == ["1999-09-28T23:59:59Z"] * 3
    assert len({r["event_id"] for r in rows}) == visits


def test_msnbc_rejects_a_file_without_the_sequences_header(tmp_path: Path) -> None:
    src = tmp_path / "plain.seq"
    src.write_text("1 2 3\n4 5\n")
    with pytest.raises(ImportSourceError, match=r"plain\.seq, line 2: no '% Sequences' line"):
        import_msnbc(src, tmp_path / "landing")
    archive = tmp_path / "empty.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("__MACOSX/._msnbc990928.seq", b"resource fork")
    with pytest.raises(ImportSourceError, match=r"empty\.zip: expected exactly one \.seq file in the zip, found \[\]"):
        import_msnbc(archive, tmp_path / "landing")


# ---- both: CLI and missing sources --------------------------------------------------------------


def test_every_format_loads_through_the_landing_reader_without_errors(tmp_path: Path) -> None:
    for fmt in LANDING_FORMATS:
        import_msnbc(MSNBC_CLEAN, tmp_path / fmt, fmt=fmt)
    loaded = {fmt: read_landing_file(tmp_path / fmt / "dt=1999-09-28" / f"msnbc.{fmt}").to_pydict()
              for fmt in LANDING_FORMATS}
    for records in loaded.values():
        assert len(records["source_row"]) == 10
        assert set(records["parse_error"]) == {None} and set(records["extra_columns"]) == {None}
        for column in EVENT_COLUMNS:
            assert records[column] == loaded["parquet"][column], column


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="persona-dagster")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(argv)


def test_cli_writes_under_out_landing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = parse(
        ["import-msnbc", "--src", str(MSNBC_CLEAN), "--out", str(tmp_path), "--format", "jsonl", "--limit-users", "2"]
    )
    assert args.func(args) == 0
    assert json.loads(capsys.readouterr().out)["rows"] == 3
    assert len(read_landing(tmp_path / "landing" / "dt=1999-09-28" / "msnbc.jsonl")) == 3
    args = parse(["import-eshop", "--src", str(ESHOP_CLEAN), "--out", str(tmp_path)])
    assert args.func(args) == 0
    assert day_dirs(tmp_path / "landing") == ["dt=1999-09-28", "dt=2008-04-01", "dt=2008-05-17", "dt=2008-08-13"]
    assert parse(["import-eshop"]).src == eshop.DEFAULT_SRC
    assert parse(["import-msnbc"]).src == msnbc.DEFAULT_SRC


@pytest.mark.parametrize("command", ["import-eshop", "import-msnbc"])
def test_missing_source_says_where_the_real_logs_are(tmp_path: Path, command: str) -> None:
    args = parse([command, "--src", str(tmp_path / "nope.csv"), "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match=MISSING_HINT):
        args.func(args)
    with pytest.raises(FileNotFoundError, match=MISSING_HINT):
        (import_eshop if command == "import-eshop" else import_msnbc)(tmp_path / "nope.csv", tmp_path / "landing")


# ---- the real files ------------------------------------------------------------------------------


@pytest.mark.real_data
@needs_real_data
def test_real_eshop_imports_every_click(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    summary = import_eshop(eshop.DEFAULT_SRC, landing)
    with open(eshop.DEFAULT_SRC, encoding="utf-8") as fh:
        data_lines = sum(1 for line in fh if line.strip()) - 1
    assert data_lines == 165_474
    assert summary["rows"] + summary["rejected"] == data_lines
    assert summary["days"] == 135 and summary["sessions"] == 24_026
    days = day_dirs(landing)
    assert (len(days), days[0], days[-1]) == (135, "dt=2008-04-01", "dt=2008-08-13")
    glob = str(landing / "*" / "eshop.parquet")
    count, bad_day = duckdb.sql(
        f"select count(*), count(*) filter (where left(ts, 10) <> cast(dt as varchar)) "
        f"from read_parquet('{glob}', hive_partitioning = true)"
    ).fetchone()
    assert (count, bad_day) == (summary["rows"], 0)


@pytest.mark.real_data
@needs_real_data
def test_real_msnbc_first_2000_users(tmp_path: Path) -> None:
    with zipfile.ZipFile(msnbc.DEFAULT_SRC) as zf:
        lines = zf.read("msnbc990928.seq").decode().splitlines()
    users = [line for line in lines[lines.index("% Sequences:") + 1 :] if line.strip()][:2000]
    summary = import_msnbc(msnbc.DEFAULT_SRC, tmp_path / "landing", limit_users=2000)
    assert (summary["users"], summary["rejected"]) == (2000, 0)
    assert summary["rows"] == sum(len(line.split()) for line in users)
    rows = read_landing(tmp_path / "landing" / "dt=1999-09-28" / "msnbc.parquet")
    assert len(rows) == summary["rows"]
    assert {r["user_id"] for r in rows} == {f"msnbc-{u}" for u in range(1, 2001)}
    assert [r["service"] for r in rows if r["user_id"] == "msnbc-3"] == [
        lines[2].split()[int(c) - 1] for c in users[2].split()
    ]
