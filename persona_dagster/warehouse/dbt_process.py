"""How dbt runs as a child of a run: dies with it, and writes only under the data directory."""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

# PR_SET_PDEATHSIG survives exec: the kernel SIGKILLs dbt when the process that started it dies,
# so a killed run leaves no dbt behind still holding the DuckDB write lock.
_LAUNCHER = '''#!{python}
"""dbt, SIGKILLed by the kernel when its parent dies (written by persona_dagster.warehouse.dbt_process)."""
import ctypes, os, signal, sys
if sys.argv[1:] == ["--version"]:
    # dagster-dbt asks on every run it starts; dbt's own answer imports all of dbt (4 s measured here).
    from importlib.metadata import version
    print(f"Core:\\n  - installed: {{version('dbt-core')}}")
    sys.exit(0)
parent = os.getppid()
if sys.platform.startswith("linux"):
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
if os.getppid() != parent:
    sys.exit("dbt launcher: the run that started dbt is gone")
os.execv({dbt!r}, [{dbt!r}, *sys.argv[1:]])
'''


def dbt_executable() -> str:
    """This environment's dbt: beside the interpreter (the venv need not be activated), else on PATH."""
    dbt = shutil.which("dbt", path=str(Path(sys.executable).parent)) or shutil.which("dbt")
    if dbt is None:
        raise FileNotFoundError(f"no dbt executable beside {sys.executable} or on PATH")
    return dbt


def dbt_launcher(folder: Path) -> Path:
    """An executable that runs this environment's dbt tied to its parent's life (rewritten only when it changed)."""
    dbt = dbt_executable()
    text = _LAUNCHER.format(python=sys.executable, dbt=dbt)
    path = Path(folder) / "bin" / "dbt"
    if not path.exists() or path.read_text() != text:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(text)
        tmp.chmod(0o755)
        tmp.replace(path)  # a concurrent run never executes a half-written launcher
    return path


def run_target(folder: Path, name: str) -> Path:
    """The target (and log) folder of one dbt invocation: <data dir>/dbt/runs/<name>."""
    path = Path(folder) / "runs" / name
    path.mkdir(parents=True, exist_ok=True)
    return path


def prune_runs(folder: Path, keep: Path) -> None:
    """Delete every invocation folder but `keep` (the latest, for debugging)."""
    for path in (Path(folder) / "runs").iterdir():
        if path.is_dir() and path != Path(keep):
            shutil.rmtree(path, ignore_errors=True)


# The partition window reaches the SQL through these (macros/partition_window.sql), not --vars:
# dbt re-parses the whole project whenever --vars change, but not for env vars read only at execution.
WINDOW_ENV = {"min_date": "PERSONA_DAGSTER_MIN_DATE", "max_date": "PERSONA_DAGSTER_MAX_DATE"}
PARTIAL_PARSE = "partial_parse.msgpack"


def window_env(variables: dict) -> dict[str, str]:
    """The environment that sets dbt's window to `variables` (from warehouse.window.dbt_vars_for_window)."""
    return {env: variables[name] for name, env in WINDOW_ENV.items()}


def seed_partial_parse(target: Path, *sources: Path) -> None:
    """Copy the newest partial-parse state among `sources` (target folders) into a fresh run's target."""
    states = [s / PARTIAL_PARSE for s in sources if (s / PARTIAL_PARSE).exists()]
    if states and not (Path(target) / PARTIAL_PARSE).exists():
        shutil.copy2(max(states, key=lambda p: p.stat().st_mtime), Path(target) / PARTIAL_PARSE)


def keep_partial_parse(target: Path, folder: Path) -> None:
    """Save a run's partial-parse state as <folder>/partial_parse.msgpack for the next run (atomic rename)."""
    state = Path(target) / PARTIAL_PARSE
    if state.exists():
        tmp = Path(folder) / f".{PARTIAL_PARSE}.{os.getpid()}"
        shutil.copy2(state, tmp)
        tmp.replace(Path(folder) / PARTIAL_PARSE)


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """os.environ with `values` while dbt starts (DbtCliResource passes os.environ to its subprocess), restored after."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
