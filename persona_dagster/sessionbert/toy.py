"""A small synthetic session corpus with a known structure, for tests and the benchmark."""

from __future__ import annotations

import numpy as np
import pandas as pd

from persona_dagster.sequences import DAILY_BILLED, DAILY_SERVICE, LOCATION, MONTHLY_BILLED, format_session_sequence

SERVICES = ("compute", "storage", "network", "database", "billing", "iam", "monitoring", "ml", "queue", "dns")
PAGES = ("list", "create", "details", "settings", "metrics", "logs")
PLACES = (("Germany", "Berlin"), ("France", "Paris"), ("Japan", "Tokyo"), ("Brazil", "Sao_Paulo"))
TIERS = ("Low", "Medium", "High", "Very_High")


def toy_sessions(
    n_sessions: int = 400,
    n_users: int = 40,
    n_tasks: int = 5,
    walk_length: int = 8,
    mean_activities: float = 6.0,
    max_activities: int = 30,
    noise: float = 0.1,
    seed: int = 0,
) -> pd.DataFrame:
    """Sessions that follow one of n_tasks fixed cyclic walks, with `noise` random clicks.

    Each session starts at a random point of its task's walk and runs a geometric number
    of steps, so the next activity is predictable from the last ones but not from
    popularity alone, and lengths are skewed like real clickstream.
    """
    rng = np.random.default_rng(seed)
    activities = [f"{s};{p}" for s in SERVICES for p in PAGES]
    walks = [list(rng.choice(activities, size=walk_length, replace=False)) for _ in range(n_tasks)]
    user_task = rng.integers(n_tasks, size=n_users)
    user_place = rng.integers(len(PLACES), size=n_users)
    user_tier = rng.integers(len(TIERS), size=n_users)
    start = pd.Timestamp("2026-01-01")
    rows = []
    for k in range(n_sessions):
        user = int(rng.integers(n_users))
        task = int(user_task[user]) if rng.random() < 0.8 else int(rng.integers(n_tasks))
        length = int(min(max_activities, 1 + rng.geometric(1.0 / mean_activities)))
        offset = int(rng.integers(walk_length))
        acts = [
            str(rng.choice(activities)) if rng.random() < noise else walks[task][(offset + i) % walk_length]
            for i in range(length)
        ]
        country, city = PLACES[user_place[user]]
        tier = TIERS[user_tier[user]]
        context = {
            LOCATION: [f"country:{country}", f"city:{city}"],
            DAILY_SERVICE: sorted({a.split(";")[0] for a in acts}),
            DAILY_BILLED: [f"tier:{tier}"],
            MONTHLY_BILLED: [f"tier:{tier}"],
        }
        rows.append(
            {
                "session_key": f"s{k:06d}",
                "user_id": f"u{user:04d}",
                # Sessions spread evenly over 30 days, so a time split has both halves.
                "session_start": start + pd.Timedelta(minutes=int(k * 30 * 24 * 60 / n_sessions)),
                "activities": acts,
                "context": context,
                "sequence": format_session_sequence(acts, context),
                "task": task,
            }
        )
    return pd.DataFrame(rows)
