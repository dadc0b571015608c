"""`dagster dev` left alone: a day's file lands, the marts for that day appear; re-delivered, it is replaced.

Nothing is launched by hand: the landing and reference sensors load the files, declarative automation
runs dbt for the day. The test only writes files and reads the instance, then the warehouse between runs.
"""

import datetime as dt
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from dagster._core.execution.backfill import BulkActionsFilter, BulkActionStatus  # not re-exported

from persona_dagster.defs.automation.settings import SENSOR_INTERVAL_ENV
from persona_dagster.settings import DATA_DIR_ENV, REPO_ROOT, START_DATE_ENV
from persona_dagster.synth.generator import SynthConfig, generate

pytestmark = pytest.mark.slow

# A bound on a hang, not a timing target: a loaded CI machine (the suite runs one test file per core)
# took over 240 s to settle one day through the daemon, sensor and automation ticks.
WAIT_S = 600
RAW_EVENTS = dg.AssetKey(["raw", "events"])
MARTS = [dg.AssetKey(["marts", name]) for name in
         ("sessions", "session_sequences", "intent_segments", "daily_user_activity", "user_service_adoption")]
ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _deliver(table: pa.Table, folder: Path, name: str = "events.parquet") -> None:
    """Atomically, as a well-behaved producer does: a dotfile first, then a rename."""
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / f".{name}.tmp")
    os.replace(folder / f".{name}.tmp", folder / name)


class DagsterDev:
    """`dagster dev` in its own process group (it ignores SIGTERM otherwise), watched through its instance."""

    def __init__(self, home: Path, env: dict, log: Path):
        self.home, self.log = home, log
        with open(log, "w") as out:
            self.proc = subprocess.Popen(
                [str(Path(sys.executable).parent / "dagster"), "dev", "-w", "workspace.yaml",
                 "-h", "127.0.0.1", "-p", str(_free_port())],
                cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=30)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]

    def _latest(self, instance, key: dg.AssetKey, day: str) -> int:
        records = instance.fetch_materializations(
            dg.AssetRecordsFilter(asset_key=key, asset_partitions=[day]), limit=1).records
        return records[0].storage_id if records else 0

    def wait_until_settled(self, day: str, after: int) -> int:
        """Until raw/events of `day` was loaded after storage id `after`, every mart of the day was rebuilt
        since, and no run or backfill is pending (so the warehouse can be read without blocking a
        writer). Returns the storage id of that load."""
        deadline = time.monotonic() + WAIT_S
        with dg.DagsterInstance.from_config(str(self.home)) as instance:
            while time.monotonic() < deadline:
                assert self.proc.poll() is None, f"dagster dev exited:\n{self.log_tail()}"
                failed = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
                assert not failed, f"run {failed[0].job_name} failed:\n{self.log_tail()}"
                loaded = self._latest(instance, RAW_EVENTS, day)
                if (loaded > after and all(self._latest(instance, m, day) > loaded for m in MARTS)
                        and not instance.get_runs(filters=dg.RunsFilter(statuses=ACTIVE))
                        and not instance.get_backfills(
                            filters=BulkActionsFilter(statuses=[BulkActionStatus.REQUESTED]))):
                    return loaded
                time.sleep(2)
        pytest.fail(f"the marts of {day} were not rebuilt within {WAIT_S} s:\n{self.log_tail()}")


def _query(warehouse: Path, sql: str, params=()):
    # Read-only and closed at once: a reader holding the file would block the next run's writes.
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_a_landed_day_reaches_the_marts_and_a_redelivery_replaces_it(tmp_path):
    # Today: the only partition (start date = today), so nothing else is built besides it.
    day = dt.datetime.now(dt.timezone.utc).date().isoformat()
    source, data, home = tmp_path / "source", tmp_path / "data", tmp_path / "dagster_home"
    generate(SynthConfig(users=20, days=1, start=day, seed=5, fmt="parquet", session_rate=3.0), source)
    shutil.copytree(source / "reference", data / "reference")
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    # Create the sqlite storages once, before the webserver, daemon and this test race to create them.
    dg.DagsterInstance.from_config(str(home)).dispose()
    [landed] = (source / "landing" / f"dt={day}").glob("*.parquet")
    events = pq.read_table(landed)
    gt = pq.read_table(source / "ground_truth" / "events_truth.parquet").to_pydict()
    true_session = dict(zip(gt["event_id"], gt["true_session_id"]))

    def true_sessions(table: pa.Table) -> int:
        return len({true_session[e] for e in table.column("event_id").to_pylist()})

    env = {**os.environ, "DAGSTER_HOME": str(home), DATA_DIR_ENV: str(data), START_DATE_ENV: day,
           SENSOR_INTERVAL_ENV: "5", "DAGSTER_TELEMETRY_DISABLED": "true", "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    warehouse = data / "warehouse.duckdb"
    sessions_sql = "select count(*), count(distinct session_key) from marts.session_sequences where event_date = ?"

    server = DagsterDev(home, env, tmp_path / "dagster_dev.log")
    try:
        started = time.monotonic()
        _deliver(events, data / "landing" / f"dt={day}")
        first = server.wait_until_settled(day, after=0)
        print(f"landed day in the marts after {time.monotonic() - started:.0f} s")
        n, distinct = _query(warehouse, sessions_sql, [day])[0]
        assert n == distinct == true_sessions(events) > 0

        # Re-delivered under the same name with half of the users: the day is replaced, not appended.
        users = sorted(set(events.column("user_id").to_pylist()))
        smaller = events.filter(pc.is_in(events.column("user_id"), value_set=pa.array(users[: len(users) // 2])))
        assert 0 < true_sessions(smaller) < true_sessions(events)
        started = time.monotonic()
        _deliver(smaller, data / "landing" / f"dt={day}")
        server.wait_until_settled(day, after=first)
        print(f"re-delivered day replaced after {time.monotonic() - started:.0f} s")
        n, distinct = _query(warehouse, sessions_sql, [day])[0]
        assert n == distinct == true_sessions(smaller)
        raw_rows = _query(warehouse, "select count(*) from raw.events where event_date = ?", [day])[0][0]
        assert raw_rows == smaller.num_rows
    finally:
        server.stop()
    assert server.proc.poll() is not None
