"""Which claims the evidence supports: truthfulness and the hallucination rate of a persona text.

Claims are checked against the memories' underlying events (the services, pages and tasks of
the actions, their days and hours), never against a memory's summary text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from persona_dagster.personas.claims import Claims
from persona_dagster.personas.evidence import EvidenceFacts
from persona_dagster.personas.notation import split_page_token

# A time-of-day or weekday claim holds when at least this share of the evidence falls then.
HABIT_SUPPORT = 1 / 3
TIME_OF_DAY_SUPPORT = HABIT_SUPPORT
# Kinds of claim that name something (the hallucination rate counts these); the rest are habits.
ENTITY_KINDS = frozenset({"service", "page", "task", "calendar", "unknown"})


@dataclass(frozen=True)
class ClaimCheck:
    kind: str  # service | page | task | calendar | unknown | frequency | count | time_of_day
    claim: object
    supported: bool


def _page_supported(page: str, facts: EvidenceFacts) -> bool:
    if ";" in page:
        return page in facts.pages
    # A page named without its service holds when the evidence used that page of any service.
    return any(split_page_token(p)[1] == page for p in facts.pages)


def _calendar_supported(claim: tuple[str, object], facts: EvidenceFacts) -> bool:
    kind, value = claim
    if kind == "date":
        return any(d.isoformat() == value for d in facts.dates)
    if kind == "year":
        return any(d.year == value for d in facts.dates)
    if kind == "month":
        return any(d.month == value for d in facts.dates)
    on_day = sum(d.weekday() == value for d in facts.dates)
    return bool(facts.dates) and on_day / len(facts.dates) >= HABIT_SUPPORT


def claim_checks(claims: Claims, facts: EvidenceFacts) -> list[ClaimCheck]:
    """Every claim with whether the evidence supports it; names the catalogue does not know never are."""
    return (
        [ClaimCheck("service", s, s in facts.services) for s in sorted(claims.services)]
        + [ClaimCheck("page", p, _page_supported(p, facts)) for p in sorted(claims.pages)]
        + [ClaimCheck("task", i, i in facts.task_intents) for i in sorted(claims.task_intents)]
        + [ClaimCheck("calendar", c, _calendar_supported(c, facts)) for c in sorted(claims.calendar, key=str)]
        + [ClaimCheck("unknown", e, False) for e in sorted(claims.unknown_entities)]
        + [ClaimCheck("frequency", f, f == facts.frequency) for f in sorted(claims.frequencies)]
        + [ClaimCheck("count", n, n == facts.n_memories) for n in sorted(claims.counts)]
        + [ClaimCheck("time_of_day", t, facts.time_of_day_share(t) >= TIME_OF_DAY_SUPPORT)
           for t in sorted(claims.times_of_day)]
    )


def truthfulness(claims: Claims, facts: EvidenceFacts) -> float:
    """Share of the claims the evidence supports; a text that claims nothing is not untruthful."""
    checks = claim_checks(claims, facts)
    return float(np.mean([c.supported for c in checks])) if checks else 1.0


def entity_support(claims: Claims, facts: EvidenceFacts) -> tuple[int, int]:
    """(named entities, unsupported ones): services, pages, tasks, dates and unknown product-like names."""
    named = [c for c in claim_checks(claims, facts) if c.kind in ENTITY_KINDS]
    return len(named), sum(not c.supported for c in named)


def hallucination_rate(claims: Claims, facts: EvidenceFacts) -> float:
    """Share of the named entities the evidence does not support; 0 for a text that names nothing."""
    named, unsupported = entity_support(claims, facts)
    return unsupported / named if named else 0.0

