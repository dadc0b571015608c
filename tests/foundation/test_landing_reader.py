import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from persona_dagster.landing.reader import UnreadableFileError, read_landing_file
from persona_dagster.landing.writer import write_day

EVENTS = {
    "event_id": ["e1", "e2"],
    "user_id": ["u1", "u2"],
    "ts": ["2026-01-01T08:00:00Z", "2026-01-01T08:00:05Z"],
    "service": ["ecs", "Object Storage"],
    "page": ["instances", "bucket list"],
    "country": ["Germany", None],
}


@pytest.mark.parametrize("fmt", ["parquet", "csv", "jsonl"])
def test_each_format_round_trips_through_writer_and_reader(tmp_path, fmt):
    path = write_day(tmp_path, "2026-01-01", EVENTS, fmt=fmt)
    records = read_landing_file(path).to_pydict()
    assert records["source_row"] == [1, 2]
    for column, values in EVENTS.items():
        assert records[column] == values
    assert records["extra_columns"] == [None, None]
    assert records["parse_error"] == [None, None]


def test_jsonl_keeps_broken_lines_and_unknown_keys(tmp_path):
    path = tmp_path / "x.jsonl"
    path.write_text(
        '{"user_id": "u1", "ts": "2026-01-01T00:00:00Z", "service": "a", "page": "b"}\n'
        "\n"
        '{"user_id": "u1", "ts": \n'
        '["not", "an", "object"]\n'
        '{"user_id": "u2", "ts": "2026-01-01T00:00:00Z", "service": "a", "page": "b", "referrer": "x", "n": 3}\n'
    )
    records = read_landing_file(path).to_pydict()
    assert records["source_row"] == [1, 3, 4, 5]  # the blank line holds no record
    assert records["parse_error"][1].startswith("invalid JSON")
    assert records["raw_record"][1] == '{"user_id": "u1", "ts": '
    assert "expected a JSON object" in records["parse_error"][2]
    assert json.loads(records["extra_columns"][3]) == {"referrer": "x", "n": "3"}


def test_csv_ragged_rows_are_kept_with_a_reason(tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("user_id,ts,service,page\nu1,2026-01-01T00:00:00Z,a,b\nu1,2026-01-01T00:00:01Z,a\nu2,2026-01-01T00:00:02Z,a,b,EXTRA\n")
    records = read_landing_file(path).to_pydict()
    assert records["source_row"] == [1, 2, 3]
    assert records["parse_error"] == [None, "CSV line 3: expected 4 fields, found 3", None]
    assert json.loads(records["extra_columns"][2]) == {"_unnamed_field_5": "EXTRA"}
    assert records["user_id"][2] == "u2"


def test_parquet_unknown_columns_and_typed_values_become_strings(tmp_path):
    path = tmp_path / "x.parquet"
    pq.write_table(pa.table({"user_id": ["u1"], "ts": ["2026-01-01T00:00:00Z"], "service": ["a"], "page": ["b"],
                             "billing_tier": [12.5], "referrer": ["google"]}), path)
    records = read_landing_file(path).to_pydict()
    assert records["billing_tier"] == ["12.5"]
    assert json.loads(records["extra_columns"][0]) == {"referrer": "google"}


@pytest.mark.parametrize(
    "name, content, reason",
    [("x.parquet", b"PAR1 not really", "Parquet"), ("x.csv", b"user_id,ts\n\xff\xfe,1\n", "UTF-8"),
     ("x.csv", b"user_id,user_id\n1,2\n", "repeats a column")],
)
def test_unreadable_files_raise_with_the_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(UnreadableFileError, match=reason):
        read_landing_file(path)
