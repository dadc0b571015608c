"""Main-persona switches: some users change what they mainly do partway through the data (drift ground truth)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np

from persona_dagster.synth.catalog import Catalog
from persona_dagster.synth.population import Population


@dataclass(frozen=True)
class PersonaSwitch:
    """From day `day_index` on, `user` does `to_persona`'s tasks, not `from_persona`'s (a second persona stays)."""

    user: int
    day_index: int
    from_persona: str
    to_persona: str


def switch_days(n_days: int) -> range:
    """Day indices a switch can fall on: the middle third, so both sides have days to see it by."""
    return range(max(1, n_days // 3), max(2, -(-2 * n_days // 3)))


def plan_switches(catalog: Catalog, population: Population, n_days: int, share: float,
                  rng: np.random.Generator) -> list[PersonaSwitch]:
    """An exact share of users (at least one if share > 0) switch to a persona that is neither of theirs."""
    if share <= 0 or n_days < 2:
        return []
    users = sorted(rng.permutation(len(population))[: max(1, round(share * len(population)))].tolist())
    days = switch_days(n_days)
    switches = []
    for u in users:
        mine = {population.main_persona[u], population.second_persona[u]}
        others = [p for p in catalog.personas if p.name not in mine]
        shares = np.array([p.population_share for p in others])
        to = others[int(rng.choice(len(others), p=shares / shares.sum()))].name
        switches.append(PersonaSwitch(u, int(rng.integers(days.start, days.stop)), population.main_persona[u], to))
    return switches


def switch_rows(switches: list[PersonaSwitch], population: Population, start: dt.date) -> list[dict[str, object]]:
    """Rows of ground_truth/persona_switches.csv: user_id, switch_date (first day as the new persona), from, to."""
    return [
        {"user_id": population.user_ids[s.user], "switch_date": (start + dt.timedelta(days=s.day_index)).isoformat(),
         "from_persona": s.from_persona, "to_persona": s.to_persona}
        for s in switches
    ]
