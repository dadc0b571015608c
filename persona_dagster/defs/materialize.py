"""Materialize the asset graph for a range of days in-process (the demo, the CLI, the tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import dagster as dg

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


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
    return [
        (bool(n % 2), [k for k in level if level[k] == n])
        for n in range(max(level.values(), default=-1) + 1)
        if any(level[k] == n for k in level)
    ]


def materialize_days(
    first: dt.date,
    last: dt.date,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "INFO",
    selection: set[dg.AssetKey] | None = None,
    asset_config: Mapping[str, Mapping] | None = None,
) -> list[dg.ExecuteInProcessResult]:
    """Every asset (or `selection`) for days [first, last], as few in-process runs as the graph allows.

    Day-partitioned assets run over the whole range in one run (single-run backfill policy: one
    raw load loop, one dbt build), like a backfill launched from the UI. `asset_config` maps an
    asset name to its run config (e.g. smaller models in tests).
    """
    from persona_dagster.definitions import defs
    from persona_dagster.defs.resources import build_resources

    if last < first:
        raise ValueError(f"empty day range {first}..{last}")
    assets = list(defs.assets or [])
    graph = defs.resolve_asset_graph()
    selected = selection or set(graph.materializable_asset_keys)
    instance = instance or dg.DagsterInstance.get()
    resources = build_resources()
    ops = {name: {"config": dict(config)} for name, config in (asset_config or {}).items()}
    results = []
    for is_partitioned, keys in run_waves(graph, selected):
        names = {k.to_python_identifier() for k in keys} | {k.path[-1] for k in keys}
        run_config = {"loggers": {"console": {"config": {"log_level": log_level}}},
                      "ops": {n: c for n, c in ops.items() if n in names}}
        tags = {RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()} if is_partitioned else None
        result = dg.materialize(assets, selection=keys, resources=resources, instance=instance,
                                run_config=run_config, tags=tags, raise_on_error=False)
        results.append(result)
        if not result.success:
            break
    return results
