"""Hostile but fair landing records: each one is kept clean or quarantined with a reason, never lost or fatal."""

import datetime as dt
import json

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from persona_dagster.landing.reader import MAX_FIELD_CHARS_ENV, read_landing_file
from persona_dagster.warehouse.raw_load import load_day

DAY = dt.date(2026, 1, 1)
TS = "2026-01-01T08:00:00Z"
HEADER = "user_id,session_id,ts,service,page\n"


def _good_csv_rows(n: int) -> str:
    return "".join(f"u{i},s,{TS},ecs,p{i}\n" for i in range(n))


def _good_json(i: int, **values: object) -> str:
    return json.dumps({"user_id": f"u{i}", "ts": TS, "service": "ecs", "page": f"p{i}", **values})


def _land(tmp_path, name: str, content: str | bytes):
    folder = tmp_path / "landing" / f"dt={DAY}"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def test_lone_surrogate_in_jsonl_quarantines_the_record_not_the_day(tmp_path):
    bad = '{"user_id":"a\\ud83d","ts":"%s","service":"ecs","page":"p"}' % TS
    _land(tmp_path, "x.jsonl", bad + "\n" + _good_json(1) + "\n")
    result = load_day(duckdb.connect(), tmp_path / "landing", DAY)
    assert result.rows == 2 and not result.file_errors
    records = read_landing_file(tmp_path / "landing" / f"dt={DAY}" / "x.jsonl").to_pydict()
    assert "column user_id" in records["parse_error"][0] and "surrogate U+D83D" in records["parse_error"][0]
    assert records["raw_record"][0] == bad
    assert records["parse_error"][1] is None and records["user_id"][1] == "u1"


def test_unbalanced_csv_quote_quarantines_its_line_and_keeps_the_rows_after_it(tmp_path):
    path = _land(tmp_path, "x.csv", HEADER + f'q2,u,{TS},ecs,"unterminated\n' + _good_csv_rows(3))
    records = read_landing_file(path).to_pydict()
    assert records["source_row"] == [1, 2, 3, 4]
    assert "line 2" in records["parse_error"][0] and "quote" in records["parse_error"][0]
    assert records["raw_record"][0] == f'q2,u,{TS},ecs,"unterminated'
    assert records["parse_error"][1:] == [None] * 3
    assert records["page"][1:] == ["p0", "p1", "p2"]


def test_a_quoted_line_break_keeps_its_record_whole_and_quarantines_it_for_the_control_character(tmp_path):
    path = _land(tmp_path, "x.csv", HEADER + f'u,s,{TS},ecs,"pa\nge"\n' + _good_csv_rows(2))
    records = read_landing_file(path).to_pydict()
    assert records["source_row"] == [1, 3, 4]  # the line each record starts on, after the header
    assert "column page" in records["parse_error"][0] and "U+000A" in records["parse_error"][0]
    assert json.loads(records["raw_record"][0])["page"] == "pa\nge"
    assert records["page"][1:] == ["p0", "p1"]


def test_csv_fields_up_to_the_limit_load_and_longer_ones_are_quarantined_naming_the_limit(tmp_path, monkeypatch):
    big = "x" * 200_000  # over Python's default csv limit of 131072
    path = _land(tmp_path, "x.csv", HEADER + f"u,s,{TS},ecs,{big}\n" + _good_csv_rows(2))
    records = read_landing_file(path).to_pydict()
    assert records["page"] == [big, "p0", "p1"] and records["parse_error"] == [None] * 3
    monkeypatch.setenv(MAX_FIELD_CHARS_ENV, "1000")
    records = read_landing_file(path).to_pydict()
    assert records["page"][1:] == ["p0", "p1"]
    assert "line 2" in records["parse_error"][0] and "1000" in records["parse_error"][0]
    assert MAX_FIELD_CHARS_ENV in records["parse_error"][0]
    assert len(records["raw_record"][0]) < 1100  # the quarantined text is clipped to the limit too


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_oversize_values_in_jsonl_and_parquet_are_quarantined_naming_the_limit(tmp_path, monkeypatch, fmt):
    monkeypatch.setenv(MAX_FIELD_CHARS_ENV, "1000")
    pages = ["y" * 1001, "p1"]
    if fmt == "jsonl":
        path = _land(tmp_path, "x.jsonl", "".join(_good_json(i, page=p) + "\n" for i, p in enumerate(pages)))
    else:
        path = tmp_path / "x.parquet"
        pq.write_table(pa.table({"user_id": ["u0", "u1"], "ts": [TS, TS], "service": ["ecs"] * 2, "page": pages}), path)
    records = read_landing_file(path).to_pydict()
    assert "column page" in records["parse_error"][0] and "1001 characters" in records["parse_error"][0]
    assert "1000" in records["parse_error"][0] and records["page"][0] is None
    assert records["parse_error"][1] is None and records["page"][1] == "p1"


def test_csv_with_a_byte_order_mark_reads_clean_header_names(tmp_path):
    path = _land(tmp_path, "x.csv", "\ufeff" + HEADER + _good_csv_rows(2))
    records = read_landing_file(path).to_pydict()
    assert records["user_id"] == ["u0", "u1"]
    assert records["extra_columns"] == [None, None] and records["parse_error"] == [None, None]


@pytest.mark.parametrize("value, reason", [
    ("a\x00b", "control character U+0000 at position 1"),
    ("line\nbreak", "control character U+000A"),
    ("bell\x07", "control character U+0007"),
    ({"x": 1}, "JSON object"),
    (["a"], "JSON array"),
    (True, "JSON boolean"),
])
def test_jsonl_control_characters_objects_and_booleans_are_quarantined(tmp_path, value, reason):
    path = _land(tmp_path, "x.jsonl", _good_json(0, city=value) + "\n" + _good_json(1, city="Berlin") + "\n")
    records = read_landing_file(path).to_pydict()
    assert "column city" in records["parse_error"][0] and reason in records["parse_error"][0]
    assert records["city"][0] is None and records["raw_record"][0] is not None
    assert records["parse_error"][1] is None and records["city"][1] == "Berlin"


def test_csv_nul_byte_is_quarantined(tmp_path):
    path = _land(tmp_path, "x.csv", HEADER + f"u,s,{TS},ecs,a\x00b\n" + _good_csv_rows(1))
    records = read_landing_file(path).to_pydict()
    assert "column page" in records["parse_error"][0] and "U+0000" in records["parse_error"][0]
    assert records["parse_error"][1] is None


def test_parquet_booleans_structs_and_control_characters_are_quarantined(tmp_path):
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({
        "user_id": ["u0", "u1", "u2", "u3"], "ts": [TS] * 4, "service": ["ecs"] * 4,
        "page": ["p\x1b[31m", "p1", "p2", "p3"],
        "action": pa.array([None, True, None, None], pa.bool_()),
        "city": pa.array([None, None, {"a": 1}, None], pa.struct([("a", pa.int64())])),
    }), path)
    records = read_landing_file(path).to_pydict()
    assert "column page" in records["parse_error"][0] and "U+001B" in records["parse_error"][0]
    assert "column action" in records["parse_error"][1] and "bool" in records["parse_error"][1]
    assert "column city" in records["parse_error"][2] and "struct" in records["parse_error"][2]
    assert records["parse_error"][3] is None and records["page"][3] == "p3"
    assert json.loads(records["raw_record"][1])["action"] == "true"
