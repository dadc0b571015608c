"""Synthetic users: personas, location, billing tier, activity level and the services they start with."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from persona_dagster.events.schema import BILLING_TIERS
from persona_dagster.synth.catalog import Catalog

# (country, share of users, ((city, UTC offset in hours), ...)). Offsets are January's (standard time
# in the north, daylight time in Sydney); the generator does not model DST changes.
LOCATIONS: tuple[tuple[str, float, tuple[tuple[str, float], ...]], ...] = (
    ("United States", 0.22, (("New York", -5), ("San Francisco", -8), ("Chicago", -6))),
    ("China", 0.20, (("Beijing", 8), ("Shanghai", 8), ("Hangzhou", 8))),
    ("India", 0.10, (("Bengaluru", 5.5), ("Mumbai", 5.5))),
    ("Germany", 0.08, (("Berlin", 1), ("Frankfurt", 1))),
    ("United Kingdom", 0.07, (("London", 0), ("Manchester", 0))),
    ("Japan", 0.07, (("Tokyo", 9), ("Osaka", 9))),
    ("Singapore", 0.06, (("Singapore", 8),)),
    ("Brazil", 0.05, (("São Paulo", -3),)),
    ("Australia", 0.05, (("Sydney", 11), ("Melbourne", 11))),
    ("France", 0.04, (("Paris", 1),)),
    ("Canada", 0.03, (("Toronto", -5), ("Vancouver", -8))),
    ("Indonesia", 0.03, (("Jakarta", 7),)),
)

# A second persona's tasks come up this much less often than the main persona's.
SECOND_PERSONA_WEIGHT = 0.35
# Chance that a user already uses a service of their main (second) persona when the data starts.
KNOWN_MAIN_SERVICE = 0.5
KNOWN_SECOND_SERVICE = 0.25


@dataclass(frozen=True)
class Population:
    """Users as parallel arrays (index = user number) so the generator can gather them per event."""

    user_ids: np.ndarray  # object: "u00042"
    main_persona: np.ndarray  # object: persona name
    second_persona: np.ndarray  # object: persona name or ""
    country: np.ndarray  # object
    city: np.ndarray  # object
    utc_offset_s: np.ndarray  # int64 seconds east of UTC
    billing_tier: np.ndarray  # object
    has_session_ids: np.ndarray  # bool
    activity: np.ndarray  # float64 multiplier on the session rate, mean 1
    tasks: tuple[tuple[str, ...], ...]  # per user: the tasks they do
    task_weights: tuple[tuple[float, ...], ...]  # per user: cumulative weights over tasks
    initial_services: tuple[frozenset[str], ...]  # per user: services used before the data starts

    def __len__(self) -> int:
        return len(self.user_ids)

    def initial_service_rows(self, base_services: tuple[str, ...]) -> list[dict[str, object]]:
        """Rows of ground_truth/initial_services.csv: services each user used before the data starts."""
        return [
            {"user_id": self.user_ids[i], "service": service}
            for i, services in enumerate(self.initial_services)
            for service in sorted(services)
            if service not in base_services
        ]

    def ground_truth_rows(self) -> list[dict[str, object]]:
        """Rows of ground_truth/users.csv."""
        return [
            {
                "user_id": self.user_ids[i],
                "main_persona": self.main_persona[i],
                "second_persona": self.second_persona[i],
                "country": self.country[i],
                "city": self.city[i],
                "billing_tier": self.billing_tier[i],
                "has_session_ids": "true" if self.has_session_ids[i] else "false",
            }
            for i in range(len(self))
        ]


def _normalized(weights: list[float]) -> np.ndarray:
    arr = np.asarray(weights, dtype=float)
    return arr / arr.sum()


def persona_task_weights(catalog: Catalog, main: str, second: str = "") -> tuple[tuple[str, ...], tuple[float, ...]]:
    """A user's tasks and cumulative weights: the main persona's, plus the second's at SECOND_PERSONA_WEIGHT."""
    weights = dict(catalog.persona_by_name[main].task_weights)
    if second:
        for task, w in catalog.persona_by_name[second].task_weights.items():
            weights[task] = weights.get(task, 0.0) + SECOND_PERSONA_WEIGHT * w
    return tuple(weights), tuple(np.cumsum(list(weights.values())).tolist())


def make_population(
    catalog: Catalog,
    n_users: int,
    rng: np.random.Generator,
    *,
    second_persona_share: float,
    no_session_id_share: float,
) -> Population:
    """Draw n_users users; every draw comes from rng so the same seed gives the same people."""
    personas = catalog.personas
    names = np.array([p.name for p in personas], dtype=object)
    main_idx = rng.choice(len(personas), size=n_users, p=_normalized([p.population_share for p in personas]))

    # A second persona is any other persona, drawn by the same shares.
    has_second = rng.random(n_users) < second_persona_share
    second_idx = np.full(n_users, -1)
    for i in np.flatnonzero(has_second):
        shares = [0.0 if k == main_idx[i] else p.population_share for k, p in enumerate(personas)]
        second_idx[i] = rng.choice(len(personas), p=_normalized(shares))

    country_idx = rng.choice(len(LOCATIONS), size=n_users, p=_normalized([share for _, share, _ in LOCATIONS]))
    city_pick = rng.random(n_users)
    country = np.empty(n_users, dtype=object)
    city = np.empty(n_users, dtype=object)
    offset = np.empty(n_users, dtype=np.int64)
    for i, (k, u) in enumerate(zip(country_idx, city_pick)):
        name, _, cities = LOCATIONS[k]
        city_name, hours = cities[int(u * len(cities))]
        country[i], city[i], offset[i] = name, city_name, round(hours * 3600)

    tier = np.empty(n_users, dtype=object)
    tier_pick = rng.random(n_users)
    for i, (k, u) in enumerate(zip(main_idx, tier_pick)):
        cum = np.cumsum(_normalized([personas[k].billing_tier_weights.get(t, 0.0) for t in BILLING_TIERS]))
        tier[i] = BILLING_TIERS[min(int(np.searchsorted(cum, u, side="right")), len(BILLING_TIERS) - 1)]

    # An exact share of users lose their session ids, so the pipeline's sessionizer is always exercised.
    without_ids = rng.permutation(n_users)[: round(no_session_id_share * n_users)]
    has_ids = np.ones(n_users, dtype=bool)
    has_ids[without_ids] = False

    activity = rng.gamma(shape=2.0, scale=0.5, size=n_users)

    tasks: list[tuple[str, ...]] = []
    cum_weights: list[tuple[float, ...]] = []
    initial: list[frozenset[str]] = []
    for i in range(n_users):
        second_name = personas[second_idx[i]].name if second_idx[i] >= 0 else ""
        user_tasks, user_cum = persona_task_weights(catalog, personas[main_idx[i]].name, second_name)
        main_services = catalog.persona_services(personas[main_idx[i]].name)
        second_services = catalog.persona_services(second_name) - main_services if second_name else frozenset()
        tasks.append(user_tasks)
        cum_weights.append(user_cum)
        ordered = sorted(main_services) + sorted(second_services)
        chance = [KNOWN_MAIN_SERVICE] * len(main_services) + [KNOWN_SECOND_SERVICE] * len(second_services)
        known = rng.random(len(ordered)) < np.asarray(chance)
        initial.append(frozenset(s for s, k in zip(ordered, known) if k) | set(catalog.base_services))

    return Population(
        user_ids=np.array([f"u{i:0{max(5, len(str(n_users - 1)))}d}" for i in range(n_users)], dtype=object),
        main_persona=names[main_idx],
        second_persona=np.array([names[k] if k >= 0 else "" for k in second_idx], dtype=object),
        country=country,
        city=city,
        utc_offset_s=offset,
        billing_tier=tier,
        has_session_ids=has_ids,
        activity=activity,
        tasks=tuple(tasks),
        task_weights=tuple(cum_weights),
        initial_services=tuple(initial),
    )
