"""Tick declarative automation in tests like the daemon does, and play the requested runs as finished."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import dagster as dg


class AutomationTicker:
    """evaluate_automation_conditions on an ephemeral instance, carrying the cursor between ticks."""

    def __init__(self, defs):
        self.defs = defs
        self.instance = dg.DagsterInstance.ephemeral()
        self.cursor = None
        self.last = None

    def tick(self, at: dt.datetime) -> dict[str, set[str | None]]:
        """One evaluation at `at`; returns {asset key: requested partitions} for assets with requests."""
        self.last = dg.evaluate_automation_conditions(
            defs=self.defs, instance=self.instance, evaluation_time=at, cursor=self.cursor
        )
        self.cursor = self.last.cursor
        requested = defaultdict(set)
        for result in self.last.results:
            if isinstance(result.key, dg.AssetKey) and result.true_subset.size:
                requested[result.key.to_user_string()] |= set(self.last.get_requested_partitions(result.key))
        return dict(requested)

    def materialized(self, key: str, partition: str | None = None) -> None:
        """Record a materialization as a run would (without running anything)."""
        self.instance.report_runless_asset_event(
            dg.AssetMaterialization(asset_key=dg.AssetKey.from_user_string(key), partition=partition)
        )

    def finish(self, requested: dict[str, set[str | None]]) -> None:
        """The requested runs succeeded: every requested asset partition is materialized."""
        for key, partitions in requested.items():
            for partition in partitions:
                self.materialized(key, partition)


def noon(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(12), tzinfo=dt.timezone.utc)
