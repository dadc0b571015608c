"""A run whose process was SIGKILLed holding the duckdb pool slot is failed, and its slot freed, by the next run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time

import dagster as dg
import pytest
from dagster._core.instance.ref import InstanceRef

from persona_dagster.runner import PROCESS_TAG, process_tag, recover_dead_runs
from persona_dagster.defs.partitions import DUCKDB_POOL
from persona_dagster.demo import prepare_dagster_home
from persona_dagster.settings import REPO_ROOT, DataPaths

# A run that takes the duckdb slot and then hangs, tagged the way materialize_days tags its runs.
HOLDER = textwrap.dedent("""
    import sys, time, dagster as dg
    from persona_dagster.runner import PROCESS_TAG, process_tag

    @dg.asset(pool="duckdb")
    def holder():
        open(sys.argv[1], "w").close()
        time.sleep(120)

    tags = {PROCESS_TAG: process_tag()} if sys.argv[2] else {}
    dg.materialize([holder], instance=dg.DagsterInstance.get(), tags=tags)
""")


@dg.asset(pool=DUCKDB_POOL)
def next_writer():
    """The next run that needs the duckdb slot."""


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A persistent instance configured by the repository's dagster.yaml (duckdb pool limit 1)."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    return home


def _kill_a_run_holding_the_slot(home, tmp_path, tagged: bool = True) -> str:
    marker = tmp_path / "holding"
    process = subprocess.Popen([sys.executable, "-c", HOLDER, str(marker), "tag" if tagged else ""], env=dict(os.environ))
    deadline = time.monotonic() + 60
    while not marker.exists():
        assert process.poll() is None and time.monotonic() < deadline, "the holder run did not start"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        [run] = instance.get_runs()
        return run.run_id


def test_a_killed_run_is_failed_and_its_pool_slot_freed(home, tmp_path):
    dead = _kill_a_run_holding_the_slot(home, tmp_path)
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        assert instance.get_run_by_id(dead).status == dg.DagsterRunStatus.STARTED
        assert instance.event_log_storage.get_concurrency_info(DUCKDB_POOL).active_run_ids == {dead}

        [message] = recover_dead_runs(instance)
        assert dead in message and "marked failed" in message
        assert instance.get_run_by_id(dead).status == dg.DagsterRunStatus.FAILURE
        assert not instance.event_log_storage.get_concurrency_info(DUCKDB_POOL).active_run_ids

        # The next writer gets the slot (before the fix it waited forever: run in a thread, bounded).
        results = []
        worker = threading.Thread(target=lambda: results.append(
            dg.materialize([next_writer], instance=instance, tags={PROCESS_TAG: process_tag()})), daemon=True)
        worker.start()
        worker.join(300)  # a bound, not a speed target: before the fix it never finished
        assert results and results[0].success, "the next run is still blocked by the dead run's slot"
        assert recover_dead_runs(instance) == []  # a live or finished run is left alone


def test_a_run_launched_elsewhere_is_named_not_failed(home, tmp_path):
    """Without the process tag (a daemon's run) this process cannot tell it died: run monitoring's job."""
    dead = _kill_a_run_holding_the_slot(home, tmp_path, tagged=False)
    with dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home))) as instance:
        [message] = recover_dead_runs(instance)
        assert dead in message and "holds a slot of pool 'duckdb'" in message
        assert instance.get_run_by_id(dead).status == dg.DagsterRunStatus.STARTED


def test_dagster_home_gets_dagster_yaml_whenever_it_changed(tmp_path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")  # an older copy
    prepare_dagster_home(DataPaths(tmp_path))
    assert (home / "dagster.yaml").read_text() == (REPO_ROOT / "dagster.yaml").read_text()
    assert "run_monitoring" in (home / "dagster.yaml").read_text()
