"""Published marts: readers hold the catalog open for as long as they like while runs write and publish."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import duckdb
import pytest

from persona_dagster.settings import DBT_PROJECT_DIR
from persona_dagster.synth.generator import SynthConfig, generate
from persona_dagster.warehouse.publish import CATALOG, KEEP_SNAPSHOTS, current_snapshot, publish

from tests.foundation.pipeline_fixtures import DAY1, DAY2, materialize

# A reader in its own process (DuckDB locks are per process): opens the catalog once, queries until
# told to stop, and records every answer and error.
READER = textwrap.dedent("""
    import json, sys, time, duckdb
    catalog, stop, out = sys.argv[1:4]
    con = duckdb.connect(catalog, read_only=True)
    seen, errors = [], []
    open(out + ".ready", "w").close()
    while True:
        try:
            seen.append(con.execute(
                "select (select count(*) from marts.sessions), (select count(*) from marts.session_sequences), "
                "(select count(*) from marts.sessions s anti join marts.session_sequences q using (session_key))"
            ).fetchone())
        except Exception as exc:
            errors.append(repr(exc))
        if __import__("os").path.exists(stop):
            break
        time.sleep(0.05)
    json.dump({"seen": seen, "errors": errors}, open(out, "w"))
""")


def _warehouse(path: Path, sessions: int) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    con.execute("create schema if not exists marts; create schema if not exists staging")
    con.execute(f"create or replace table marts.sessions as select range as session_key from range({sessions})")
    con.execute("create or replace table marts.session_sequences as select session_key from marts.sessions")
    con.execute("create or replace table staging.hidden as select 1 as x")
    return con


def test_publish_swaps_a_snapshot_and_a_catalog_of_views(tmp_path):
    con = _warehouse(tmp_path / "w.duckdb", 3)
    root = tmp_path / "published"
    first = publish(con, root)
    reader = duckdb.connect(str(root / CATALOG), read_only=True)
    assert reader.execute("select count(*) from marts.sessions").fetchone() == (3,)
    assert reader.execute("select table_schema, table_name from information_schema.tables order by 2").fetchall() == [
        ("marts", "session_sequences"), ("marts", "sessions")]  # public marts only
    con.execute("create or replace table marts.sessions as select range as session_key from range(5)")
    second = publish(con, root)
    # The open reader follows `current` to the new snapshot; the writer never touched its file.
    assert reader.execute("select count(*) from marts.sessions").fetchone() == (5,)
    assert current_snapshot(root) == second and first.exists()
    for _ in range(KEEP_SNAPSHOTS + 1):
        publish(con, root)
    assert len([p for p in root.iterdir() if p.is_dir() and not p.is_symlink()]) == KEEP_SNAPSHOTS
    assert not first.exists() and reader.execute("select count(*) from marts.sessions").fetchone() == (5,)


def test_a_killed_publish_leaves_the_current_snapshot_and_is_cleaned_up(tmp_path):
    con = _warehouse(tmp_path / "w.duckdb", 3)
    root = tmp_path / "published"
    snapshot = publish(con, root)
    (root / ".20990101T000000000000Z-dead00.partial" / "marts").mkdir(parents=True)  # killed mid-export
    assert current_snapshot(root) == snapshot
    publish(con, root)
    assert not list(root.glob(".*.partial"))


@pytest.mark.slow
def test_a_reader_held_open_through_a_run_causes_no_failure(tmp_path):
    """Day 1 is published; a reader holds the catalog through the whole day-2 run; the run succeeds."""
    generate(SynthConfig(users=20, days=2, seed=4, fmt="mixed"), tmp_path)
    materialize(tmp_path, DAY1, DAY1)
    stop, out = tmp_path / "stop", tmp_path / "reader.json"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(tmp_path / "published" / CATALOG), str(stop), str(out)])
    try:
        while not Path(str(out) + ".ready").exists():
            assert reader.poll() is None
            time.sleep(0.05)
        before = set(os.listdir(DBT_PROJECT_DIR / "target"))
        [*_, result] = materialize(tmp_path, DAY2, DAY2)
        stop.touch()
        assert reader.wait(30) == 0
    finally:
        reader.kill()
    report = json.loads(out.read_text())
    assert report["errors"] == []
    # Every answer is one whole snapshot: day 1's or days 1+2's, each mart agreeing with the other.
    assert {(n, m) for n, m, _ in report["seen"]} <= {(n, n) for n, _, _ in report["seen"]}
    assert all(orphans == 0 for *_, orphans in report["seen"])
    assert len({n for n, *_ in report["seen"]}) == 2, "the reader never saw the day-2 snapshot"
    # Finding 12: the run wrote its dbt target and logs under the data directory, only the latest kept.
    run_dirs = os.listdir(tmp_path / "dbt" / "runs")
    assert run_dirs == [f"warehouse_models-{result.run_id[:8]}"]
    assert (tmp_path / "dbt" / "runs" / run_dirs[0] / "dbt.log").exists()
    assert not {n for n in set(os.listdir(DBT_PROJECT_DIR / "target")) - before if result.run_id[:7] in n}
