"""Property-based: random good and bad records in all three landing formats; nothing is lost or altered.

Per generated day and file: every record becomes exactly one raw row; good records arrive unchanged
(reader + raw load); bad ones carry a reason. Then one real dbt run over all generated days checks,
per day, raw = clean + quarantined and that every good record is in staging unchanged.
"""

import csv
import datetime as dt
import io
import json
import os
import random
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from persona_dagster.events.schema import BILLING_TIERS, EVENT_COLUMNS
from persona_dagster.landing.reader import MAX_FIELD_CHARS_ENV
from persona_dagster.warehouse.raw_load import load_day
from tests.foundation.test_dbt_keys import run_dbt_models

FORMATS = ("csv", "jsonl", "parquet")
RECORDS_PER_FILE = 420
EXAMPLES = 3  # 3 x 420 = 1,260 records per format
FIELD_LIMIT = 300
FIRST_DAY = dt.date(2026, 2, 1)
# CI replays the same generated examples (a red CI must mean a regression, not a new draw);
# set PERSONA_DAGSTER_FUZZ_EXPLORE=1 to draw new ones locally.
EXPLORE = bool(os.environ.get("PERSONA_DAGSTER_FUZZ_EXPLORE"))
# Found by a random draw: an open quote on one CSV row closed at a quote on the next row, so the
# bad row parsed with extra fields and swallowed the good row after it.
OPEN_QUOTE_SWALLOW = (['¿ÀuIq\U0003f96e%ĥ\xad\U000e5e72', 'ÏČ»§}M¶\U000a908eá±ă', '%Ĕ~\U000d7fb7', 'XĢ', 'úÕ~',
                       '=Q\U000e81cd', 'p\U000d4ee3x\U0004f0cdf§ZÛëľÓ', ",AĢ\U000743a7\U000614b7'Eġľ", 'kibana'], 3348)
# Kinds the reader refuses itself (parse_error), per format; the rest are for dbt staging to quarantine.
READER_KINDS = {"csv": ("control", "oversize", "open_quote", "short_row"),
                "jsonl": ("control", "oversize", "surrogate", "json_object", "json_boolean", "broken_json"),
                "parquet": ("control", "oversize")}
STAGING_KINDS = ("missing_user_id", "bad_ts", "other_day", "missing_page", "bad_tier", "unknown_column")

# Good values: any printable text (letters of every script, emoji, '|', ':', quotes, commas) without
# control characters or surrogates, and without surrounding whitespace (staging trims it).
VALUE = st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=12).filter(
    lambda v: v == v.strip())


def _good(rng: random.Random, pool: list[str], fmt: str, i: int, day: dt.date) -> dict[str, str | None]:
    pick = lambda: rng.choice(pool)  # noqa: E731
    ts = dt.datetime.combine(day, dt.time()) + dt.timedelta(seconds=rng.randrange(86_400))
    return {
        "event_id": f"{fmt}{i}-{pick()}" if rng.random() < 0.8 else None,  # none: the content hash is the id
        "user_id": f"{fmt}{i}-{pick()}", "session_id": pick() if rng.random() < 0.5 else None,
        "ts": ts.strftime("%Y-%m-%dT%H:%M:%SZ"), "service": pick(), "page": pick(),
        "country": pick() if rng.random() < 0.5 else None, "city": pick() if rng.random() < 0.5 else None,
        "billing_tier": rng.choice(BILLING_TIERS) if rng.random() < 0.5 else None,
        "action": pick() if rng.random() < 0.5 else None,
    }


def _spoil(rng: random.Random, kind: str, record: dict, day: dt.date) -> dict:
    """A copy of a good record with one problem (text-level kinds are applied when the file is written)."""
    bad = dict(record)
    column = rng.choice(["user_id", "service", "page"])
    if kind == "control":
        bad[column] = bad[column] + rng.choice(["\x00", "\x1b", "\n", "\x7f", "\x85"]) + "x"
    elif kind == "oversize":
        bad[column] = "z" * (FIELD_LIMIT + 1 + rng.randrange(50))
    elif kind == "missing_user_id":
        bad["user_id"] = None
    elif kind == "bad_ts":
        bad["ts"] = rng.choice(["yesterday", "2026-13-45T00:00:00Z"])
    elif kind == "other_day":
        bad["ts"] = (day - dt.timedelta(days=1)).isoformat() + "T12:00:00Z"
    elif kind == "missing_page":
        bad["page"] = None
    elif kind == "bad_tier":
        bad["billing_tier"] = "Platinum"
    return bad


def _csv_line(values: list) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow(["" if v is None else v for v in values])
    return out.getvalue()


def _write(path: Path, fmt: str, records: list[tuple[str | None, dict]]) -> list[int]:
    """Records as the format writes them (text-level kinds spliced in as raw text); their source rows."""
    columns = [*EVENT_COLUMNS, "referrer"]
    if fmt == "parquet":
        table = {c: [r.get(c) for _, r in records] for c in columns}
        pq.write_table(pa.table({c: pa.array(v, pa.string()) for c, v in table.items()}), path)
        return list(range(1, len(records) + 1))
    lines = [_csv_line(columns)] if fmt == "csv" else []
    for kind, r in records:
        if fmt == "csv":
            line = _csv_line([r.get(c) for c in columns])
            if kind == "open_quote":
                line = line.rstrip("\n") + ',"never closed\n'
            elif kind == "short_row":
                line = _csv_line([r.get(c) for c in columns[:4]])
        else:
            obj = {c: r[c] for c in columns if r.get(c) is not None}
            line = json.dumps(obj, ensure_ascii=len(lines) % 2 == 0) + "\n"
            if kind == "surrogate":
                line = line.replace('"user_id": "', '"user_id": "\\ud83d', 1)
            elif kind in ("json_object", "json_boolean"):
                obj["page"] = {"nested": [1]} if kind == "json_object" else True
                line = json.dumps(obj) + "\n"
            elif kind == "broken_json":
                line = line[: len(line) // 2] + "\n"
        lines.append(line)
    path.write_text("".join(lines), encoding="utf-8")
    if fmt == "jsonl":
        return list(range(1, len(records) + 1))
    starts = [1]  # a CSV record's row is the line it starts on (a quoted line break makes it two lines)
    for line in lines[1:-1]:
        starts.append(starts[-1] + line.count("\n"))
    return starts


def _day_records(seed: int, pool: list[str], day: dt.date) -> dict[str, list[tuple[str | None, dict]]]:
    """Per format: (None, good record) or (bad kind, record); about one in five is bad."""
    rng = random.Random(seed)
    files = {}
    for fmt in FORMATS:
        records = []
        for i in range(RECORDS_PER_FILE):
            good = _good(rng, pool, fmt, i, day)
            if rng.random() < 0.8:
                records.append((None, good))
                continue
            kind = rng.choice(READER_KINDS[fmt] + STAGING_KINDS)
            bad = _spoil(rng, kind, good, day)
            if kind == "unknown_column":
                bad["referrer"] = pool[0]
            records.append((kind, bad))
        files[fmt] = records
    return files


def _raw_rows(con, day: dt.date, source_file: str) -> dict[int, dict]:
    cursor = con.execute("select * from raw.events where event_date = ? and source_file = ? order by source_row",
                         [day, source_file])
    names = [d[0] for d in cursor.description]
    return {row[names.index("source_row")]: dict(zip(names, row)) for row in cursor.fetchall()}


def test_random_landing_files_lose_or_alter_no_record(tmp_path, monkeypatch):
    monkeypatch.setenv(MAX_FIELD_CHARS_ENV, str(FIELD_LIMIT))
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    expected: dict[dt.date, dict[str, list]] = {}

    # No shrinking: an example is a whole day of files, and the failing record is in the message anyway.
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=not EXPLORE,
              phases=[Phase.explicit, Phase.generate],
              suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    @given(pool=st.lists(VALUE, min_size=8, max_size=30, unique=True), seed=st.integers(0, 2**32))
    @example(*OPEN_QUOTE_SWALLOW)
    def one_day(pool, seed):
        day = FIRST_DAY + dt.timedelta(days=len(expected))
        folder = tmp_path / "landing" / f"dt={day}"
        folder.mkdir(parents=True, exist_ok=True)  # a failing example is replayed on its day
        files = _day_records(seed, pool, day)
        numbers = {fmt: _write(folder / f"events.{fmt}", fmt, records) for fmt, records in files.items()}
        load = load_day(con, tmp_path / "landing", day)
        assert not load.file_errors
        for fmt, records in files.items():
            rows = _raw_rows(con, day, f"dt={day}/events.{fmt}")
            assert sorted(rows) == numbers[fmt], f"{fmt}: a record was lost or split"
            for number, (kind, record) in zip(numbers[fmt], records):
                row = rows[number]
                if kind is None:
                    assert row["parse_error"] is None and row["extra_columns"] is None, (fmt, number, row)
                    assert {c: row[c] for c in EVENT_COLUMNS} == record, (fmt, number)
                elif kind in READER_KINDS[fmt]:
                    assert row["parse_error"], (fmt, number, kind, row)
        expected[day] = {fmt: list(zip(numbers[fmt], records)) for fmt, records in files.items()}

    one_day()
    assert len(expected) == EXAMPLES + 1  # the generated examples and the pinned one
    con.close()
    run_dbt_models(tmp_path, ["stg_clickstream__events", "stg_clickstream__quarantine"])
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    for day, files in expected.items():
        raw, clean, bad = con.execute("""
            select (select count(*) from raw.events where event_date = $d),
                   (select count(*) from staging.stg_clickstream__events where event_date = $d),
                   (select count(*) from staging.stg_clickstream__quarantine where event_date = $d)""",
                                      {"d": day}).fetchone()
        assert raw == clean + bad == sum(len(r) for r in files.values())
        for fmt, records in files.items():
            cursor = con.execute("""
                select source_row, event_id, user_id, session_id, strftime(event_ts, '%Y-%m-%dT%H:%M:%SZ') as ts,
                       service, page, country, city, billing_tier, action
                from staging.stg_clickstream__events where event_date = ? and source_file = ?""",
                                 [day, f"dt={day}/events.{fmt}"])
            clean_rows = {r[0]: dict(zip(EVENT_COLUMNS, r[1:])) for r in cursor.fetchall()}
            good = {n: r for n, (kind, r) in records if kind is None}
            assert set(clean_rows) == set(good), f"{day} {fmt}: clean rows are not exactly the good records"
            for number, record in good.items():
                want = {**record, "action": record["action"] or "view"}
                if record["event_id"] is None:
                    want["event_id"] = clean_rows[number]["event_id"]  # derived from the content
                assert clean_rows[number] == want, (day, fmt, number)
    con.close()
