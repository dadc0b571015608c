"""Persona drift: how each user's personas moved from one period to the next, and over the population.

A user's personas in a period are read from their intent memories through the persona definitions
(the reference persona -> task weights): a memory of task t is evidence for persona p in proportion
to P(p | t) ∝ w(p, t) / W(p), W(p) = the persona's total task weight (uniform prior over personas).
It is the persona map's task encoding, applied per user and period instead of per cluster, so every
active user has personas every day without a model run. A persona's evidence share is its summed
evidence over the period's task memories; the **main persona** is the one with the largest share
(ties: by name) and a persona is *held* when its share reaches `min_share`. Memories of no mapped
task (navigation, a bare service) are no evidence. The current period is the `period_days` days
ending on the as-of day, the previous one the `period_days` before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pandas as pd

DRIFT_COLUMNS = [
    "user_id", "as_of_date", "period_days", "previous_main", "current_main", "previous_main_share",
    "current_main_share", "compared", "main_changed", "personas_gained", "personas_lost", "evidence_shift",
    "previous_memories", "current_memories",
]


@dataclass(frozen=True)
class DriftParams:
    """Period length, the share at which a persona is held, the evidence a comparison needs on both sides."""

    period_days: int = 7
    min_share: float = 0.2
    min_memories: int = 3

    def __post_init__(self) -> None:
        if self.period_days < 1 or self.min_memories < 1 or not 0 < self.min_share <= 1:
            raise ValueError(f"bad drift params {self}")


def task_posteriors(persona_tasks: pd.DataFrame) -> dict[str, dict[str, float]]:
    """{task: {persona: P(persona | task)}} from rows persona, task, weight."""
    rows = persona_tasks[persona_tasks["weight"] > 0]
    likelihood = rows["weight"] / rows.groupby("persona")["weight"].transform("sum")
    frame = rows.assign(likelihood=likelihood)
    frame["posterior"] = frame["likelihood"] / frame.groupby("task")["likelihood"].transform("sum")
    posteriors: dict[str, dict[str, float]] = {}
    for task, persona, p in zip(frame["task"], frame["persona"], frame["posterior"]):
        posteriors.setdefault(task, {})[persona] = float(p)
    return posteriors


def evidence_shares(memories: pd.DataFrame, posteriors: Mapping[str, Mapping[str, float]], first: dt.date,
                    last: dt.date) -> pd.DataFrame:
    """Per user and persona: evidence and share over the task memories dated in [first, last].

    memories: rows user_id, as_of_date (date), intent. Returns user_id, persona, evidence, share, n_memories.
    """
    dates = pd.to_datetime(memories["as_of_date"]).dt.date
    window = memories[(dates >= first) & (dates <= last) & memories["intent"].isin(list(posteriors))]
    rows = [(user, persona, p) for user, task in zip(window["user_id"], window["intent"])
            for persona, p in posteriors[task].items()]
    if not rows:
        return pd.DataFrame(columns=["user_id", "persona", "evidence", "share", "n_memories"])
    evidence = pd.DataFrame(rows, columns=["user_id", "persona", "evidence"]).groupby(
        ["user_id", "persona"], as_index=False)["evidence"].sum()
    n_memories = window.groupby("user_id").size().rename("n_memories")
    evidence = evidence.join(n_memories, on="user_id")
    evidence["share"] = evidence["evidence"] / evidence["n_memories"]
    return evidence[["user_id", "persona", "evidence", "share", "n_memories"]]


def _main(shares: pd.DataFrame) -> pd.DataFrame:
    """Each user's main persona and its share (largest share; ties by persona name)."""
    ranked = shares.sort_values(["user_id", "share", "persona"], ascending=[True, False, True])
    return ranked.drop_duplicates("user_id").set_index("user_id")[["persona", "share"]]


def compare_periods(previous: pd.DataFrame, current: pd.DataFrame, params: DriftParams = DriftParams()
                    ) -> pd.DataFrame:
    """One row per user active in either period: main persona before/after, personas gained/lost, evidence shift.

    evidence_shift is the total-variation distance of the two share vectors (0 = same mix, 1 = disjoint);
    main_changed is only asserted for users with min_memories task memories in both periods (compared).
    """
    users = sorted(set(previous["user_id"]) | set(current["user_id"]))
    before, after = _main(previous), _main(current)
    counts = {name: frame.groupby("user_id")["n_memories"].first() for name, frame in
              (("previous", previous), ("current", current))}
    mixes: dict[str, dict[str, dict[str, float]]] = {"previous": {}, "current": {}}
    for name, frame in (("previous", previous), ("current", current)):
        for user, persona, share in zip(frame["user_id"], frame["persona"], frame["share"]):
            mixes[name].setdefault(user, {})[persona] = float(share)
    rows = []
    for user in users:
        mix = {name: mixes[name].get(user, {}) for name in mixes}
        held = {name: {p for p, s in m.items() if s >= params.min_share} for name, m in mix.items()}
        n_before, n_after = int(counts["previous"].get(user, 0)), int(counts["current"].get(user, 0))
        compared = n_before >= params.min_memories and n_after >= params.min_memories
        main_before = before["persona"].get(user)
        main_after = after["persona"].get(user)
        personas = set(mix["previous"]) | set(mix["current"])
        shift = 0.5 * sum(abs(mix["previous"].get(p, 0.0) - mix["current"].get(p, 0.0)) for p in personas)
        rows.append({
            "user_id": user, "previous_main": main_before, "current_main": main_after,
            "previous_main_share": before["share"].get(user), "current_main_share": after["share"].get(user),
            "compared": compared, "main_changed": bool(compared and main_before != main_after),
            "personas_gained": sorted(held["current"] - held["previous"]),
            "personas_lost": sorted(held["previous"] - held["current"]),
            "evidence_shift": float(shift) if n_before and n_after else None,
            "previous_memories": n_before, "current_memories": n_after,
        })
    return pd.DataFrame(rows, columns=[c for c in DRIFT_COLUMNS if c not in ("as_of_date", "period_days")])


def user_drift(memories: pd.DataFrame, persona_tasks: pd.DataFrame, as_of: dt.date,
               params: DriftParams = DriftParams()) -> pd.DataFrame:
    """compare_periods for the period ending on as_of against the one before it (DRIFT_COLUMNS)."""
    posteriors = task_posteriors(persona_tasks)
    period = dt.timedelta(days=params.period_days)
    current = evidence_shares(memories, posteriors, as_of - period + dt.timedelta(days=1), as_of)
    previous = evidence_shares(memories, posteriors, as_of - 2 * period + dt.timedelta(days=1), as_of - period)
    drift = compare_periods(previous, current, params)
    drift.insert(1, "as_of_date", as_of)
    drift.insert(2, "period_days", params.period_days)
    return drift[DRIFT_COLUMNS]


def drift_summary(drift: pd.DataFrame) -> dict[str, object]:
    """Population figures of one as-of day's drift rows: who was compared, whose main persona moved, to what."""
    # astype(bool): an empty object column would select columns, not rows.
    compared = drift[drift["compared"].astype(bool)]
    changed = compared[compared["main_changed"].astype(bool)]
    transitions = changed.groupby(["previous_main", "current_main"]).size().sort_values(ascending=False)
    share = len(changed) / len(compared) if len(compared) else 0.0
    return {
        "users": int(len(drift)),
        "compared_users": int(len(compared)),
        "main_changed_users": int(len(changed)),
        "main_changed_share": float(share),
        "mean_evidence_shift": float(compared["evidence_shift"].mean()) if len(compared) else 0.0,
        "users_gaining_personas": int((drift["personas_gained"].map(len) > 0).sum()),
        "users_losing_personas": int((drift["personas_lost"].map(len) > 0).sum()),
        "new_users": int((drift["previous_memories"] == 0).sum()),
        "inactive_users": int((drift["current_memories"] == 0).sum()),
        "top_transitions": [{"from": a, "to": b, "users": int(n)} for (a, b), n in transitions.head(5).items()],
    }


def switch_detection(drift: pd.DataFrame, switches: pd.DataFrame, users: Iterable[str] | None = None
                     ) -> dict[str, float | int]:
    """Precision and recall of detected main-persona changes against true switches, counted per user.

    drift: rows user_id, as_of_date, period_days, main_changed (any number of as-of days);
    switches: rows user_id, switch_date (first day as the new persona). A detection is right when its
    two periods straddle the user's switch (switch_date in (as_of - 2 * period, as_of]); a user is a true
    positive with one right detection, a false positive with detections and none right, a false
    negative when switched and never rightly detected. users: those evaluated (default: the compared ones).
    """
    evaluated = set(users) if users is not None else set(drift.loc[drift["compared"].astype(bool), "user_id"])
    switch_date = {u: pd.Timestamp(d).date() for u, d in zip(switches["user_id"], switches["switch_date"])
                   if u in evaluated}
    detected: dict[str, bool] = {}
    for user, as_of, period, changed in zip(drift["user_id"], drift["as_of_date"], drift["period_days"],
                                            drift["main_changed"]):
        if not changed or user not in evaluated:
            continue
        as_of = pd.Timestamp(as_of).date()
        right = user in switch_date and as_of - dt.timedelta(days=2 * int(period)) < switch_date[user] <= as_of
        detected[user] = detected.get(user, False) or right
    tp = sum(detected.values())
    fp = len(detected) - tp
    fn = sum(not detected.get(u, False) for u in switch_date)
    precision = tp / (tp + fp) if tp + fp else float("nan")
    recall = tp / (tp + fn) if tp + fn else float("nan")
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return {"precision": precision, "recall": recall, "f1": f1, "true_positives": tp, "false_positives": fp,
            "false_negatives": fn, "switched_users": len(switch_date), "evaluated_users": len(evaluated)}
