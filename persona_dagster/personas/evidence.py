"""Facts a set of memories supports: what was used, how often, at what time of day."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from persona_dagster.personas.memories import IntentMemory

DAILY, WEEKLY, OCCASIONALLY = "daily", "weekly", "occasionally"
# Active days per week at or above which a habit reads as daily / weekly.
DAILY_MIN_PER_WEEK = 4.0
WEEKLY_MIN_PER_WEEK = 0.5
# Start hours [from, to) of each part of the day; night wraps past midnight.
TIMES_OF_DAY: dict[str, tuple[int, int]] = {"morning": (5, 12), "afternoon": (12, 17), "evening": (17, 22)}
NIGHT = "night"


def time_of_day(hour: int) -> str:
    """'morning', 'afternoon', 'evening' or 'night' for an hour of the day."""
    for name, (start, end) in TIMES_OF_DAY.items():
        if start <= hour < end:
            return name
    return NIGHT


@dataclass(frozen=True)
class EvidenceFacts:
    """Support counts (memories naming each item) and habits of a set of memories."""

    n_memories: int
    services: Counter[str]
    pages: Counter[str]
    task_intents: Counter[str]
    active_days: int
    span_days: int
    times_of_day: Counter[str]
    dates: frozenset[dt.date] = field(default_factory=frozenset)

    @classmethod
    def of(cls, memories: Sequence[IntentMemory]) -> EvidenceFacts:
        dates = sorted({m.start_ts.date() for m in memories})
        return cls(
            n_memories=len(memories),
            services=Counter(s for m in memories for s in dict.fromkeys(m.services)),
            pages=Counter(p for m in memories for p in dict.fromkeys(m.pages)),
            task_intents=Counter(m.intent for m in memories if m.is_task),
            active_days=len(dates),
            span_days=(dates[-1] - dates[0]).days + 1 if dates else 0,
            times_of_day=Counter(time_of_day(m.start_ts.hour) for m in memories),
            dates=frozenset(dates),
        )

    @property
    def frequency(self) -> str | None:
        """'daily', 'weekly' or 'occasionally' from active days per week; None from a single day."""
        if self.active_days < 2:
            return None
        per_week = 7.0 * self.active_days / self.span_days
        if per_week >= DAILY_MIN_PER_WEEK:
            return DAILY
        return WEEKLY if per_week >= WEEKLY_MIN_PER_WEEK else OCCASIONALLY

    def time_of_day_share(self, name: str) -> float:
        return self.times_of_day[name] / self.n_memories if self.n_memories else 0.0

    @property
    def dominant_time_of_day(self) -> str | None:
        """The part of the day holding at least half of the memories, if any."""
        if not self.times_of_day:
            return None
        name, _ = self.times_of_day.most_common(1)[0]
        return name if self.time_of_day_share(name) >= 0.5 else None
