"""How much any model could gain over the count baselines on synthetic data: baselines vs oracles that read the ground truth.

    python benchmarks/synthetic_ceilings.py --data <data dir of a generated dataset, after make demo>

On data made by `persona-dagster generate`, the hidden variables behind the events are known
(`ground_truth/`). Two oracles use them, on exactly the examples the evaluation assets score:

- new services (recommendation_evaluation's splits, seen days 6 / 10 / 12): the **task oracle** ranks a
  user's unused services by the generator's own adoption rule (a task of the user's true personas is drawn
  by its weight; one of its services the user has not used is adopted), then item-kNN's order;
  what it misses is adoption outside the personas, which the generator draws at random;
- next activity (next_activity_evaluation's test sessions: the latest `--max-sessions`, last 20% by
  time, scored at their last activity): the **task-state chain** is the first-order Markov chain whose
  state also holds the true task of the last non-noise click before the target (the latent state a
  model could infer from the session), backing off to the chain where that state was never seen.

Both print beside the baselines and the figures the evaluation reports of the same data dir, with n,
95% bootstrap intervals and paired differences. The oracles are not in the pipeline (no model may read
`ground_truth/`); they bound what there is to win at this data size, so a tie with the baseline can be
told apart from a model that fails to learn.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from persona_dagster.evaluation.intervals import bootstrap_interval, paired_difference, paired_statistic_intervals
from persona_dagster.evaluation.weighted_f1 import weighted_f1_on_counts
from persona_dagster.segments.baselines import item_knn_recommendations, popularity_recommendations
from persona_dagster.segments.metrics import per_user_hits
from persona_dagster.segments.splits import EvaluationSet, evaluation_set
from persona_dagster.sessionbert.baselines import MarkovBaseline
from persona_dagster.sessionbert.examples import every_position, next_activity_examples, split_by_time
from persona_dagster.synth.catalog import Catalog, default_catalog
from persona_dagster.synth.population import persona_task_weights
from persona_dagster.warehouse.segment_inputs import adoption
from persona_dagster.warehouse.session_io import read_sessions

SEEN_DAYS = (6, 10, 12)
TEST_FRACTION = 0.2
TARGETS = {"service": "next_service", "page": "next_page"}


def task_oracle_recommendations(es: EvaluationSet, users: pd.DataFrame, catalog: Catalog, k: int = 5) -> pd.DataFrame:
    """Rows user_id, rank, service: unused services by P(next persona-driven adoption), then item-kNN's order."""
    knn = item_knn_recommendations(es.used, users=sorted(es.targets), k=len(catalog.services))
    knn_order = {u: list(g.sort_values("rank")["service"]) for u, g in knn.groupby("user_id")}
    rows = []
    for u in sorted(es.targets):
        tasks, cum = persona_task_weights(catalog, users.loc[u, "main_persona"], users.loc[u, "second_persona"])
        used = es.used.get(u, frozenset())
        chance: dict[str, float] = defaultdict(float)
        for task, weight in zip(tasks, np.diff([0.0, *cum])):
            unused = [s for s in catalog.task_services(task) if s not in used]
            for s in unused:
                chance[s] += weight / len(unused)
        ranked = sorted(chance, key=lambda s: (-chance[s], s)) + [s for s in knn_order.get(u, []) if s not in chance]
        rows += [{"user_id": u, "rank": i + 1, "service": s} for i, s in enumerate(ranked[:k])]
    return pd.DataFrame(rows, columns=["user_id", "rank", "service"])


def recommendation_ceilings(con, data: Path) -> list[dict]:
    sessions, adopted = read_sessions(con), adoption(con)
    users = pd.read_csv(data / "ground_truth" / "users.csv", keep_default_na=False).set_index("user_id")
    catalog = default_catalog()
    out = []
    for seen in SEEN_DAYS:
        es = evaluation_set(sessions, adopted, seen)
        scored = sorted(es.targets)
        recs = {"popularity": popularity_recommendations(es.used, users=scored),
                "item_knn": item_knn_recommendations(es.used, users=scored),
                "task_oracle": task_oracle_recommendations(es, users, catalog)}
        hits = {name: per_user_hits(r, es.targets, 5) for name, r in recs.items()}
        out.append({"seen_days": seen, "n": len(scored),
                    **{name: bootstrap_interval(h) for name, h in hits.items()},
                    "task_oracle_minus_item_knn": paired_difference(hits["task_oracle"], hits["item_knn"])})
    return out


def session_tasks(con, data: Path) -> dict[str, list[tuple[str, bool]]]:
    """{session_key: [(true task, is noise) per activity, in order]} from the generator's per-event truth."""
    events = con.sql("select session_key, event_seq, event_id from intermediate.int_clickstream__sessionized_events").df()
    truth = pd.read_parquet(data / "ground_truth" / "events_truth.parquet")
    events = events.merge(truth, on="event_id", how="left").sort_values(["session_key", "event_seq"])
    return {key: list(zip(g["task"].fillna(""), g["is_noise"].fillna(True))) for key, g in events.groupby("session_key")}


def _task_state(tasks: list[tuple[str, bool]], position: int) -> str:
    """The true task of the last non-noise click before `position` ('' when there is none)."""
    return next((task for task, noise in reversed(tasks[:position]) if not noise), "")


def task_state_predictions(train: pd.DataFrame, test: pd.DataFrame, tasks: dict, markov: dict) -> dict[str, list[str]]:
    """Most frequent successor of (true task state, previous activity); the Markov prediction where unseen."""
    counts = {t: defaultdict(Counter) for t in TARGETS.values()}
    for r in every_position(train).to_dict("records"):
        state = (_task_state(tasks[r["session_key"]], len(r["history"])), r["history"][-1])
        for target in TARGETS.values():
            counts[target][state][r[target]] += 1
    out = {}
    for task, target in TARGETS.items():
        preds = []
        for r, fallback in zip(test.to_dict("records"), markov[task]):
            seen = counts[target].get((_task_state(tasks[r["session_key"]], len(r["history"])), r["history"][-1]))
            preds.append(min(seen.items(), key=lambda kv: (-kv[1], kv[0]))[0] if seen else fallback)
        out[task] = preds
    return out


def next_activity_ceilings(con, data: Path, max_sessions: int) -> dict:
    from sklearn.metrics import f1_score

    sessions = read_sessions(con, latest=max_sessions)
    train_s, test_s = split_by_time(sessions, quantile=1 - TEST_FRACTION)
    train, test = next_activity_examples(train_s), next_activity_examples(test_s)
    markov = MarkovBaseline(1).fit(train).predict(test)
    oracle = task_state_predictions(train, test, session_tasks(con, data), markov)
    out = {}
    for task, target in TARGETS.items():
        out[task] = paired_statistic_intervals(
            list(test[target]), {"markov": markov[task], "task_state_chain": oracle[task]},
            lambda y, p: float(f1_score(y, p, average="weighted", zero_division=0)),
            reference="markov", on_counts=weighted_f1_on_counts)
    return out


def _fmt(v: dict, key: str = "mean") -> str:
    return f"{v[key]:.3f} [{v['lo']:.3f}, {v['hi']:.3f}]"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True, help="data dir with warehouse.duckdb and ground_truth/")
    parser.add_argument("--max-sessions", type=int, default=1500, help="next_activity_evaluation's max_sessions")
    args = parser.parse_args()
    reports = args.data / "reports"
    rec_report = json.loads((reports / "recommendations.json").read_text()) if (reports / "recommendations.json").exists() else {}
    reported = {s["seen_days"]: s["sessionbert"] for s in rec_report.get("splits", [])}
    with duckdb.connect(str(args.data / "warehouse.duckdb"), read_only=True) as con:
        recs = recommendation_ceilings(con, args.data)
        nxt = next_activity_ceilings(con, args.data, args.max_sessions)
    print("new-service Hit@5 (95% bootstrap interval), recommendation_evaluation's scored users")
    print(f"{'seen':>5}{'n':>6}  {'popularity':<22}{'item_knn':<22}{'task_oracle':<22}{'oracle - item_knn':<24}reported model")
    for r in recs:
        model = reported.get(r["seen_days"])
        shown = f"{model['hit@5']:.3f} (n={model['n']})" if model else "-"
        print(f"{r['seen_days']:>5}{r['n']:>6}  {_fmt(r['popularity']):<22}{_fmt(r['item_knn']):<22}"
              f"{_fmt(r['task_oracle']):<22}{_fmt(r['task_oracle_minus_item_knn']):<24}{shown}")
    na_report = json.loads((reports / "next_activity.json").read_text()) if (reports / "next_activity.json").exists() else {}
    print("\nnext-activity weighted F1 (95% paired bootstrap), next_activity_evaluation's test sessions")
    for task, rows in nxt.items():
        model = na_report.get("intervals", {}).get(task, {}).get("sessionbert")
        shown = f"{model['value']:.3f} (n={model['n']})" if model else "-"
        print(f"{task:<8} n={rows['markov']['n']:<5} markov {_fmt(rows['markov'], 'value')}  task-state chain "
              f"{_fmt(rows['task_state_chain'], 'value')}  difference "
              f"{_fmt(rows['task_state_chain_minus_markov'], 'value')}  reported sessionbert {shown}")


if __name__ == "__main__":
    main()
