"""Token-form service and page names back to the names as they landed, for every table consumers read.

Sequences fold whitespace and ';' in names (persona_dagster.sequences.clean_part), so whatever a
model predicts or counts from them is in token form; marts must carry the landed names to join.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import duckdb
import pandas as pd

from persona_dagster.segments.frames import require_columns
from persona_dagster.sessionbert.sessions import service_of


@dataclass(frozen=True)
class LandedNames:
    """{activity token: (service, page)} and {service token: service}, landed names as staged."""

    activities: Mapping[str, tuple[str, str]]
    services: Mapping[str, str]

    @classmethod
    def from_events(cls, counts: pd.DataFrame) -> LandedNames:
        """From rows (service, page, activity, n_events); a token two landed names share goes to the busier one."""
        require_columns(counts, ("service", "page", "activity", "n_events"), "landed name counts")
        # Busiest first (ties by name), so the first landed name seen per token wins.
        ranked = counts.sort_values(["n_events", "service", "page"], ascending=[False, True, True], kind="stable")
        activities: dict[str, tuple[str, str]] = {}
        services: dict[str, str] = {}
        for service, page, activity in ranked[["service", "page", "activity"]].itertuples(index=False):
            activities.setdefault(activity, (service, page))
            services.setdefault(service_of(activity), service)
        return cls(activities=activities, services=services)

    def service(self, token: str) -> str:
        """The landed service of a service token (a next-service label, a daily service token)."""
        try:
            return self.services[token]
        except KeyError:
            raise KeyError(f"{token!r} is the token of no landed service") from None

    def activity(self, token: str) -> tuple[str, str]:
        """(service, page) as landed, of a 'service;page' activity token."""
        try:
            return self.activities[token]
        except KeyError:
            raise KeyError(f"{token!r} is the token of no landed service and page") from None

    def services_of(self, tokens: Iterable[str]) -> list[str]:
        """The landed service of each service token, in order."""
        return [self.service(t) for t in tokens]

    def activity_counts(self, counts: Iterable[tuple[str, int]]) -> list[tuple[str, str, int]]:
        """(activity token, count) pairs as (service, page, count) with the landed names."""
        return [(*self.activity(token), n) for token, n in counts]


def read_landed_names(con: duckdb.DuckDBPyConnection) -> LandedNames:
    """The landed names of every service and page in the staged (clean) events."""
    counts = con.execute("""select service, page, activity, count(*) as n_events
                            from staging.stg_clickstream__events group by all""").df()
    return LandedNames.from_events(counts)
