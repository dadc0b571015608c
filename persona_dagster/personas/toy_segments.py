"""A small deterministic set of intent segments (the marts.intent_segments shape) for tests and demos."""

from __future__ import annotations

import datetime as dt
import random

import pandas as pd

TOY_TASKS: dict[str, dict[str, list[str]]] = {
    "cost management": {"cost-explorer": ["overview", "forecast", "reports"], "billing": ["invoices", "payments"],
                        "budgets": ["alerts"]},
    "monitoring": {"cloudwatch": ["dashboards", "alarms", "logs"], "health": ["events"]},
    "setting up environments": {"ec2": ["launch", "instances"], "vpc": ["subnets", "security-groups"],
                                "iam": ["roles"]},
    "data analytics": {"athena": ["query-editor", "saved-queries"], "s3": ["buckets", "objects"],
                       "glue": ["crawlers"]},
    "machine learning": {"sagemaker": ["notebooks", "training-jobs", "endpoints"], "s3": ["buckets"]},
    "security audit": {"iam": ["users", "policies"], "cloudtrail": ["trails"], "guardduty": ["findings"]},
}
START_HOURS = (8, 14, 19)  # morning, afternoon, evening
CADENCES = (1, 2, 7)  # days between sessions: daily, every other day, weekly
NOISE_SHARE = 0.1  # segments that are a stray click on an unmapped service


def _facets(rng: random.Random, n_facets: int) -> list[tuple[str, int, int]]:
    tasks = rng.sample(sorted(TOY_TASKS), n_facets)
    return [(task, rng.choice(START_HOURS), rng.choice(CADENCES)) for task in tasks]


def toy_segments(n_users: int = 12, two_facet_share: float = 0.67, seed: int = 0,
                 start: dt.date = dt.date(2026, 1, 1)) -> pd.DataFrame:
    """Users with one or two habitual tasks (facets), each 6-8 segments at its own hour and cadence."""
    rng = random.Random(seed)
    all_services = sorted({s for services in TOY_TASKS.values() for s in services})
    rows = []
    for u in range(n_users):
        user = f"u{u:02d}"
        n_facets = 2 if u < round(two_facet_share * n_users) else 1
        for task, hour, cadence in _facets(rng, n_facets):
            offset = rng.randrange(3)
            for i in range(rng.randint(6, 8)):
                day = start + dt.timedelta(days=offset + i * cadence)
                begin = dt.datetime.combine(day, dt.time(hour, rng.randrange(50)))
                if rng.random() < NOISE_SHARE:
                    service = rng.choice(all_services)
                    intent, source, chosen = service, "service", {service: ["home"]}
                else:
                    catalog = TOY_TASKS[task]
                    names = list(catalog)
                    picked = [names[0]] + [s for s in names[1:] if rng.random() < 0.6]
                    chosen = {s: rng.sample(catalog[s], rng.randint(1, min(2, len(catalog[s])))) for s in picked}
                    intent, source = task, "task"
                pages = [f"{s};{p}" for s, ps in chosen.items() for p in ps]
                n_actions = len(pages) + rng.randint(1, 6)
                segment_id = f"{user}-{len(rows):04d}"
                rows.append({
                    "segment_id": segment_id, "user_id": user, "session_key": f"{user}-{begin:%Y%m%d%H}",
                    "intent": intent, "intent_source": source, "start_ts": begin,
                    "end_ts": begin + dt.timedelta(minutes=2 * n_actions), "n_actions": n_actions,
                    "services": list(chosen), "pages": pages,
                    "event_ids": [f"{segment_id}-e{j}" for j in range(n_actions)], "event_date": day,
                })
    return pd.DataFrame(rows)
