import datetime as dt

import duckdb

from persona_dagster.landing.writer import write_day
from persona_dagster.warehouse.raw_load import load_day

DAY = dt.date(2026, 1, 1)


def _events(n: int, prefix: str = "e") -> dict:
    return {
        "event_id": [f"{prefix}{i}" for i in range(n)],
        "user_id": ["u1"] * n,
        "ts": [f"2026-01-01T08:00:{i:02d}Z" for i in range(n)],
        "service": ["ecs"] * n,
        "page": ["instances"] * n,
    }


def _count(con, table="raw.events"):
    return con.execute(f"select count(*) from {table} where event_date = ?", [DAY]).fetchone()[0]


def test_reloading_a_day_replaces_it_without_duplicates(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    write_day(tmp_path / "landing", DAY, _events(5), fmt="csv")
    assert load_day(con, tmp_path / "landing", DAY).rows == 5
    assert load_day(con, tmp_path / "landing", DAY).rows == 5
    assert _count(con) == 5
    # A re-delivered day with different content replaces the old rows entirely.
    write_day(tmp_path / "landing", DAY, _events(3, prefix="r"), fmt="csv")
    load_day(con, tmp_path / "landing", DAY)
    assert con.execute("select list(event_id order by source_row) from raw.events").fetchone()[0] == ["r0", "r1", "r2"]


def test_unreadable_file_is_reported_and_the_rest_of_the_day_loads(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    landing = tmp_path / "landing"
    write_day(landing, DAY, _events(4), fmt="jsonl")
    (landing / "dt=2026-01-01" / "broken.parquet").write_bytes(b"garbage")
    result = load_day(con, landing, DAY)
    assert result.rows == 4
    assert list(result.file_errors) == ["dt=2026-01-01/broken.parquet"]
    errors = con.execute("select source_file, error from raw.file_errors").fetchall()
    assert errors[0][0] == "dt=2026-01-01/broken.parquet" and "Parquet" in errors[0][1]


def test_links_odd_names_and_temporary_files_are_never_read(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    landing = tmp_path / "landing"
    write_day(landing, DAY, _events(2), fmt="csv")
    outside = tmp_path / "secret.csv"
    outside.write_text("user_id,ts,service,page\nx,2026-01-01T00:00:00Z,a,b\n")
    folder = landing / "dt=2026-01-01"
    (folder / "link.csv").symlink_to(outside)
    (folder / "notes.txt").write_text("hello")
    (folder / ".events.csv.tmp").write_text("half a file")
    result = load_day(con, landing, DAY)
    assert result.rows == 2
    assert set(result.file_errors) == {"dt=2026-01-01/link.csv", "dt=2026-01-01/notes.txt"}
    assert con.execute("select count(*) from raw.events where user_id = 'x'").fetchone()[0] == 0


def test_a_day_without_files_clears_its_rows(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    landing = tmp_path / "landing"
    path = write_day(landing, DAY, _events(2), fmt="parquet")
    load_day(con, landing, DAY)
    path.unlink()
    assert load_day(con, landing, DAY).rows == 0
    assert _count(con) == 0 and _count(con, "raw.load_log") == 0
