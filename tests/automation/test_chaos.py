"""Kill a real materialization at three points, re-run it, and check it converges to an uninterrupted run."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from dagster._core.events import DagsterEventType
from dagster._core.instance.ref import InstanceRef

from persona_dagster.settings import REPO_ROOT
from persona_dagster.synth.generator import SynthConfig, generate
from persona_dagster.warehouse.publish import CATALOG, current_snapshot

pytestmark = pytest.mark.slow

DAY = "2026-01-01"
RUNNER = Path(__file__).with_name("chaos_run.py")
SCHEMAS = ("raw", "staging", "intermediate", "marts")
# user_service_adoption's scratch list of the pairs its last *incremental* run rewrote (macros/adoption.sql):
# a re-run after a kill is incremental where the uninterrupted first build is not, so only it has one.
SCRATCH_SUFFIX = "__touched"


_STARTED: list[subprocess.Popen] = []


@pytest.fixture(autouse=True)
def _no_leftovers():
    """A failing test leaves no run behind."""
    yield
    for process in _STARTED:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    _STARTED.clear()


def _instance(root: Path) -> dg.DagsterInstance:
    """The persistent instance of a data directory, its storage created here (not raced by a starting run)."""
    home = root / "dagster_home"
    if not home.exists():
        home.mkdir()
        shutil.copy(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(home)))


def _start(root: Path) -> subprocess.Popen:
    """`chaos_run.py` for DAY in its own process group, against a persistent DAGSTER_HOME under root."""
    _instance(root).dispose()
    env = {**os.environ, "DAGSTER_HOME": str(root / "dagster_home"), "PERSONA_DAGSTER_DATA_DIR": str(root)}
    _STARTED.append(subprocess.Popen([sys.executable, str(RUNNER), str(root), DAY], env=env, start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
    return _STARTED[-1]


def _finish(process: subprocess.Popen, timeout: float = 300) -> None:
    _, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err.decode()[-3000:]


def _alive(pid: int) -> bool:
    """True while pid runs (a zombie, dead but not reaped, counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):  # gone between open and read (ESRCH) counts as gone too
        return False


def _dbt_children(pid: int) -> list[int]:
    """The `dbt build` processes started by pid (its main thread starts them)."""
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except (FileNotFoundError, ProcessLookupError):
        return []  # the run ended
    found = []
    for child in children:
        try:
            cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if b"dbt" in cmdline and b"build" in cmdline:
            found.append(int(child))
    return found


def _wait(condition, process: subprocess.Popen, what: str, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        assert process.poll() is None, f"the run ended before {what}: {process.stderr.read().decode()[-2000:]}"
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _step_events(instance: dg.DagsterInstance, step_part: str) -> set[str]:
    """Step event types logged so far for the steps whose key contains step_part, over every run."""
    kinds = set()
    for run in instance.get_runs():
        for record in instance.all_logs(run.run_id, of_type={DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS}):
            if step_part in (record.dagster_event.step_key or ""):
                kinds.add(record.dagster_event.event_type_value)
    return kinds


def _checksums(root: Path) -> dict[str, tuple]:
    """Rows and an order-independent hash per warehouse table (load times left out) and per published mart."""
    sums = {}
    con = duckdb.connect(str(root / "warehouse.duckdb"), read_only=True)
    try:
        for schema, table in con.execute(
                "select table_schema, table_name from information_schema.tables where table_type = 'BASE TABLE' "
                f"and table_schema in {SCHEMAS} order by 1, 2").fetchall():
            if table.endswith(SCRATCH_SUFFIX):
                continue
            sums[f"{schema}.{table}"] = con.execute(
                f"select count(*), sum(hash(t::varchar)) from "
                f"(select columns(c -> c <> 'loaded_at') from {schema}.{table}) as t").fetchone()
    finally:
        con.close()
    reader = duckdb.connect(str(root / "published" / CATALOG), read_only=True)
    try:
        for (name,) in reader.execute("select table_name from information_schema.tables order by 1").fetchall():
            sums[f"published.{name}"] = reader.execute(
                f"select count(*), sum(hash(t::varchar)) from marts.{name} as t").fetchone()
    finally:
        reader.close()
    return sums


def test_killed_runs_recover_and_converge(tmp_path):
    generate(SynthConfig(users=12, days=1, seed=5, fmt="mixed", malformed_rate=0.05), tmp_path / "chaos")
    generate(SynthConfig(users=12, days=1, seed=5, fmt="mixed", malformed_rate=0.05), tmp_path / "clean")
    chaos, clean = tmp_path / "chaos", tmp_path / "clean"
    baseline = _start(clean)  # the uninterrupted run, beside the killed ones

    # 1. The whole run (its process group) killed while the raw load is running.
    run = _start(chaos)
    with _instance(chaos) as instance:
        _wait(lambda: "STEP_START" in _step_events(instance, "raw__events"), run, "the raw load")
        os.killpg(run.pid, signal.SIGKILL)
        run.wait()
        assert "STEP_SUCCESS" not in _step_events(instance, "raw__events"), "killed after the raw load, not during it"

    # 2. Only the Python process killed while dbt builds: dbt must not live on holding the warehouse lock.
    run = _start(chaos)
    dbt = _wait(lambda: _dbt_children(run.pid), run, "dbt")
    time.sleep(1)
    assert all(_alive(pid) for pid in dbt), "dbt ended before the kill"
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in dbt) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in dbt), "dbt outlived the killed run"

    # 3. Killed after dbt finished, before the marts were published.
    run = _start(chaos)
    dbt = _wait(lambda: _dbt_children(run.pid), run, "dbt")
    _wait(lambda: not any(_alive(pid) for pid in dbt), run, "dbt to finish", timeout=120)
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    assert current_snapshot(chaos / "published") is None, "the kill came after the publish"

    # The re-run needs no manual step: dead runs are failed and their pool slot freed.
    rerun = _start(chaos)
    _finish(rerun)
    _finish(baseline)
    assert _checksums(chaos) == _checksums(clean)
    with _instance(chaos) as instance:
        statuses = sorted(r.status.value for r in instance.get_runs())
    assert "STARTED" not in statuses and statuses.count("SUCCESS") >= 1, statuses
