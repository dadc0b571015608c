"""Materialize the asset graph for a range of days in-process (the demo, the CLI, the tests)."""

from __future__ import annotations

import datetime as dt

import dagster as dg

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def _assets_and_resources():
    from persona_dagster.definitions import defs
    from persona_dagster.defs.resources import build_resources

    return list(defs.assets or []), build_resources()


def materialize_days(
    first: dt.date, last: dt.date, instance: dg.DagsterInstance | None = None, log_level: str = "INFO"
) -> list[dg.ExecuteInProcessResult]:
    """Unpartitioned assets first, then every daily-partitioned asset over [first, last] in ONE run.

    Each asset has a single-run backfill policy, so the range is one raw load loop and one
    dbt build, like a backfill launched from the UI.
    """
    if last < first:
        raise ValueError(f"empty day range {first}..{last}")
    assets, resources = _assets_and_resources()
    instance = instance or dg.DagsterInstance.get()
    partitioned = [k for a in assets if a.partitions_def is not None for k in a.keys]
    unpartitioned = [k for a in assets if a.partitions_def is None for k in a.keys]
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    results = []
    if unpartitioned:
        results.append(dg.materialize(
            assets, selection=unpartitioned, resources=resources, instance=instance, run_config=run_config
        ))
    results.append(dg.materialize(
        assets,
        selection=partitioned,
        resources=resources,
        instance=instance,
        run_config=run_config,
        tags={RANGE_START_TAG: first.isoformat(), RANGE_END_TAG: last.isoformat()},
    ))
    return results
