"""New-category Hit@5 on msnbc (../shared/data): the adoption recommender vs popularity vs item-kNN.

    python benchmarks/real_data_recommendations.py [--msnbc-users 20000] [--buckets 8]

Protocol (issue 9, item 6): each user's visit sequence is cut in half; the first ceil(L/2) visits
are history, and the targets are the categories first visited in the second half (categories the
history already has are never targets). Users with no new category in their second half are not
scored; every user with history still counts toward popularity and item co-occurrence.

Synthetic ordering. msnbc is one day with no clock times, but the recommender learns from rolling
day cutoffs (what users take up in the days after each cutoff). So each visit gets a pseudo-day
from its *relative* position, day = floor(buckets * (position - 1) / L), L being the user's number
of visits. With an even number of buckets, days < buckets/2 are exactly the history half of every
user, whatever L is (absolute positions would put a short user's whole sequence on day 0 and a
long user's history across every day). The history days hold the rolling cutoffs the recommender
trains on, and its knobs are chosen on the last history day (validation: new categories in that
bucket, from a model fitted on the buckets before); the test window, the second half, is read once
by a model refit on the whole history. The same split (persona_dagster.evaluation) scores the
baselines on the same users, with 95% bootstrap intervals and paired differences.

The log goes through the real pipeline (importer -> landing -> raw load -> dbt build) and the visits
are read back from staging.stg_clickstream__events; the result is written to
<data dir>/reports/real/msnbc/recommendations.json (the shape of reports/recommendations.json).
"""

from __future__ import annotations

import argparse
import time

import duckdb
import pandas as pd

from persona_dagster.evaluation.protocol import PROTOCOL, assert_no_leak, before_or_on, time_split
from persona_dagster.evaluation.recommendation import evaluate_split
from persona_dagster.importers.msnbc import DAY
from persona_dagster.reports import write_report
from persona_dagster.segments.adoption_model import AdoptionInputs
from persona_dagster.settings import DataPaths
from real_logs import land_and_build, real_reports_dir

TASK = "new_category (second half of visits)"  # the leaderboard's task name for this split


def read_visits(warehouse) -> pd.DataFrame:
    """user_id, service, position (0-based), length: every visit as landed and validated, in sequence order."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        visits = con.execute("select user_id, service from staging.stg_clickstream__events "
                             "order by user_id, event_ts, source_row").df()
    finally:
        con.close()
    grouped = visits.groupby("user_id", sort=False)
    return visits.assign(position=grouped.cumcount(), length=grouped["service"].transform("size"))


def pseudo_day_frames(visits: pd.DataFrame, buckets: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """(sessions, usage, adoption) with each visit on the pseudo-day of its relative position (see the docstring)."""
    bucket = (buckets * visits["position"] // visits["length"]).astype(int)
    days = pd.to_datetime(DAY) + pd.to_timedelta(bucket, unit="D")
    frame = visits.assign(event_date=days.dt.date)
    usage = frame.groupby(["user_id", "event_date", "service"], as_index=False).size().rename(columns={"size": "n_events"})
    adoption = usage.groupby(["user_id", "service"], as_index=False)["event_date"].min().rename(
        columns={"event_date": "first_used_date"})
    sessions = usage.groupby(["user_id", "event_date"], as_index=False)["n_events"].sum()
    sessions = sessions.assign(session_key=sessions["user_id"] + "#" + sessions["event_date"].astype(str),
                               session_start=pd.to_datetime(sessions["event_date"]))
    return sessions, usage, adoption


def evaluate(visits: pd.DataFrame, buckets: int) -> dict:
    """One split: history = the first buckets/2 pseudo-days, validation = the last of them, test = the rest."""
    if buckets < 4 or buckets % 2:
        raise ValueError(f"buckets must be even and >= 4 (two history days to train and validate on), got {buckets}")
    sessions, usage, adoption = pseudo_day_frames(visits, buckets)
    seen = buckets // 2
    split = time_split(sessions["event_date"], seen, valid_days=1)
    # The recommender is handed the history half only: the second half cannot reach it whatever it reads.
    history = AdoptionInputs(before_or_on(usage, split.test_cutoff), adoption[
        pd.to_datetime(adoption["first_used_date"]).dt.date <= split.test_cutoff].reset_index(drop=True))
    assert_no_leak(history.usage, split.test_cutoff, "recommender usage")
    assert_no_leak(history.adoption, split.test_cutoff, "recommender adoption", column="first_used_date")
    return {"task": TASK, **evaluate_split(sessions, adoption, history, seen, valid_days=1)}


def print_table(result: dict) -> None:
    methods = [m for m, v in result.items() if isinstance(v, dict) and "hit@5" in v]
    print(f"\nmsnbc new-category recommendation: {result['scored_users']:,} scored users, "
          f"knobs chosen on validation: {result['chosen_knobs']}")
    print(f"{'method':<14}{'Hit@5':>8}{'95% interval':>18}{'Hit@3':>8}{'95% interval':>18}{'n':>8}")
    for m in methods:
        v = result[m]
        print(f"{m:<14}{v['hit@5']:>8.3f}{_interval(v['hit@5_ci']):>18}{v['hit@3']:>8.3f}{_interval(v['hit@3_ci']):>18}"
              f"{v['n']:>8}")
    for key, diff in result["sessionbert"].items():
        if key.startswith("hit@5_minus_"):
            print(f"sessionbert - {key.removeprefix('hit@5_minus_')}: Hit@5 {diff['mean']:+.3f} "
                  f"{_interval([diff['lo'], diff['hi']])} (paired, n={diff['n']})")


def _interval(bounds) -> str:
    return f"[{bounds[0]:.3f}, {bounds[1]:.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--msnbc-users", type=int, default=20000, help="a seeded sample of users (the log has 990k)")
    parser.add_argument("--buckets", type=int, default=8, help="pseudo-days per user sequence (even)")
    args = parser.parse_args()
    started = time.perf_counter()
    root = land_and_build("msnbc", args.msnbc_users)
    visits = read_visits(DataPaths(root).warehouse)
    result = evaluate(visits, args.buckets)
    seconds = time.perf_counter() - started
    print_table(result)
    report = write_report(real_reports_dir("msnbc"), "recommendations", {
        "dataset": {"name": "msnbc", "users": int(visits["user_id"].nunique()), "visits": len(visits),
                    "msnbc_users": args.msnbc_users, "pseudo_days": args.buckets},
        "protocol": PROTOCOL, "splits": [result], "clustering": [],
        "task": "history = first ceil(L/2) visits of each user, targets = categories first visited in the second "
                "half; pseudo-day = floor(buckets * (position - 1) / L) (benchmarks/real_data_recommendations.py)",
        "note": "sessionbert = the adoption recommender (AdoptionRecommender, knobs chosen on the last history "
                "pseudo-day) without SessionBERT vectors; popularity and item_knn on the same users",
        "seconds": seconds,
    })
    print(f"wrote {report} ({seconds:.0f} s)")


if __name__ == "__main__":
    main()
