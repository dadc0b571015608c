"""The in-process runner: the asset graph for a range of days (the demo, the CLI, the tests); outside defs/, it imports the code location."""

from __future__ import annotations

import datetime as dt
import logging
import os
from collections.abc import Mapping
from pathlib import Path

import dagster as dg

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
# The process running an in-process run ("pid:start time"): a later run can tell it died.
PROCESS_TAG = "persona_dagster/process"
_IN_PROGRESS = [dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
                dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.CANCELING]
log = logging.getLogger(__name__)


def process_tag(pid: int | None = None) -> str:
    """'pid:start time' of a live process (this one by default): a reused pid has another start time."""
    pid = pid or os.getpid()
    try:
        # Field 22 of /proc/<pid>/stat (clock ticks since boot); the name before ')' may hold spaces.
        started = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19]
    except FileNotFoundError:
        if Path("/proc/self/stat").exists():
            raise ProcessLookupError(pid) from None
        os.kill(pid, 0)  # no /proc (macOS): the pid alone, checked with signal 0
        started = "?"
    return f"{pid}:{started}"


def _process_alive(tag: str) -> bool:
    try:
        return process_tag(int(tag.split(":", 1)[0])) == tag
    except PermissionError:
        return True  # another user's live process
    except (ProcessLookupError, ValueError):
        return False


def recover_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Fail the in-process runs whose process died (SIGKILL, OOM) and free every pool slot a finished run holds.

    Without this a killed run stays STARTED holding the only duckdb slot, and every later run waits forever.
    Runs launched by a daemon (`make dev`) are failed by its run monitoring (dagster.yaml) instead.
    Returns one message per run recovered or still blocking.
    """
    messages = []
    for run in instance.get_runs(filters=dg.RunsFilter(statuses=_IN_PROGRESS)):
        owner = run.tags.get(PROCESS_TAG)
        if owner and not _process_alive(owner):
            instance.report_run_failed(run, message=f"Its process ({owner}) is gone: marked failed by a later run.")
            messages.append(f"run {run.run_id} ({run.job_name}, {run.status.value}) died with its process "
                            f"{owner}: marked failed, its pool slots freed")
    storage = instance.event_log_storage
    for pool in storage.get_concurrency_keys():
        for run_id in storage.get_concurrency_info(pool).active_run_ids:
            run = instance.get_run_by_id(run_id)
            if run is None or run.is_finished:
                storage.free_concurrency_slots_for_run(run_id)
            elif PROCESS_TAG not in run.tags:
                messages.append(f"run {run_id} ({run.job_name}, {run.status.value}) holds a slot of pool {pool!r}: "
                                "this run waits for it; if its process is gone, terminate it in the Dagster UI "
                                "or let run monitoring (dagster.yaml) fail it")
    for message in messages:
        log.warning(message)
    return messages


def run_waves(graph, selected: set[dg.AssetKey]) -> list[tuple[bool, list[dg.AssetKey]]]:
    """Ordered runs [(partitioned, keys)], alternating unpartitioned (even levels) and partitioned (odd).

    An asset goes to the first level of its kind that is not before a same-kind parent's level
    and after an other-kind parent's level, so runs switch only where a path switches kind.
    """
    level: dict[dg.AssetKey, int] = {}
    partitioned = {k: graph.get(k).partitions_def is not None for k in selected}
    for key in graph.toposorted_asset_keys:
        if key not in selected:
            continue
        floor = max((level[p] + (partitioned[p] != partitioned[key])
                     for p in graph.get(key).parent_keys if p in selected), default=0)
        level[key] = floor + ((floor % 2) != partitioned[key])
    _join_split_multi_assets(graph, selected, level)
    return [
        (bool(n % 2), [k for k in level if level[k] == n])
        for n in range(max(level.values(), default=-1) + 1)
        if any(level[k] == n for k in level)
    ]


def _join_split_multi_assets(graph, selected: set[dg.AssetKey], level: dict[dg.AssetKey, int]) -> None:
    """Move a multi-asset's keys that landed in earlier runs into its last one, where nothing selected needs them sooner.

    A multi-asset (e.g. the dbt marts over model outputs) split over runs executes once per run: each a dbt
    start-up. A key can wait for the multi-asset's last level when every selected child of it runs later.
    """
    groups: dict[int, list[dg.AssetKey]] = {}
    for key in level:
        groups.setdefault(id(graph.get(key).assets_def), []).append(key)
    for keys in groups.values():
        last = max(level[k] for k in keys)
        for key in keys:
            children = [c for c in graph.get(key).child_keys if c in selected]
            if all(level[c] > last for c in children):
                level[key] = last


def materialize_days(
    first: dt.date,
    last: dt.date,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "INFO",
    selection: set[dg.AssetKey] | None = None,
    asset_config: Mapping[str, Mapping] | None = None,
    defs: dg.Definitions | None = None,
) -> list[dg.ExecuteInProcessResult]:
    """Every asset (or `selection`) for days [first, last], as few in-process runs as the graph allows.

    Day-partitioned assets run over the whole range in one run (single-run backfill policy: one
    raw load loop, one dbt build), like a backfill launched from the UI. `asset_config` maps an
    asset name to its run config (e.g. smaller models in tests); `defs` defaults to the code location.
    """
    from persona_dagster.defs.partitions import check_day_range
    from persona_dagster.defs.resources import build_resources

    check_day_range(first, last)
    if defs is None:
        from persona_dagster.definitions import defs
    assets = list(defs.assets or [])
    graph = defs.resolve_asset_graph()
    selected = selection or set(graph.materializable_asset_keys)
    instance = instance or dg.DagsterInstance.get()
    recover_dead_runs(instance)
    resources = build_resources()
    ops = {name: {"config": dict(config)} for name, config in (asset_config or {}).items()}
    results = []
    for is_partitioned, keys in run_waves(graph, selected):
        names = {graph.get(k).assets_def.node_def.name for k in keys}  # the ops that run: run config is keyed by op
        run_config = {"loggers": {"console": {"config": {"log_level": log_level}}},
                      "ops": {n: c for n, c in ops.items() if n in names}}
        tags = {PROCESS_TAG: process_tag()}
        if is_partitioned:
            tags |= {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()}
        result = dg.materialize(assets, selection=keys, resources=resources, instance=instance,
                                run_config=run_config, tags=tags, raise_on_error=False)
        results.append(result)
        if not result.success:
            break
    return results
