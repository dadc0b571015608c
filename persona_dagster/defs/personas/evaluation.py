"""Persona induction evaluation: quality per writer, future-interaction Hit@k, recovery of true personas."""

import csv
import datetime as dt
import json
from collections import defaultdict
from pathlib import Path

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from persona_dagster.defs.automation.conditions import retrain_condition
from persona_dagster.defs.metadata import table
from persona_dagster.defs.partitions import DUCKDB_POOL
from persona_dagster.defs.personas.assets import GROUP, induced_personas, persona_policy, read_memories, torch_threads
from persona_dagster.defs.personas.config import PersonaPolicyConfig
from persona_dagster.defs.resources import MLflowResource
from persona_dagster.model_store import current
from persona_dagster.personas.future_interactions import evidence_matches, hit_rate, rank_items_by_personas
from persona_dagster.personas.induction_run import best_personas, prepare_induction
from persona_dagster.personas.policy_model import load_policy
from persona_dagster.personas.sampling import SamplingParams
from persona_dagster.reports import write_report
from persona_dagster.settings import data_paths


def _writers(setup, config: PersonaPolicyConfig) -> dict[str, dict[str, list]]:
    """{writer: {user: [personas]}} for the heuristic writer, π0 and πθ on the same clusters."""
    by_writer: dict[str, dict[str, list]] = {}
    by_writer["heuristic_writer"] = defaultdict(list)
    for task in setup.tasks:
        by_writer["heuristic_writer"][task.user_id].append(task.teacher)
    for name in ("persona_policy_pi0", "persona_policy"):
        policy, _ = load_policy(current(data_paths().models, name).path)
        chosen = best_personas(setup, policy, SamplingParams(k=config.eval_samples, seed=config.seed))
        personas = defaultdict(list)
        for task, persona, _ in chosen:
            personas[task.user_id].append(persona)
        by_writer["pi0" if name.endswith("pi0") else "pi_theta"] = personas
    return by_writer


def _true_persona_tasks(con, ground_truth: Path):
    users_csv = ground_truth / "users.csv"
    truth_events = ground_truth / "events_truth.parquet"
    if not users_csv.exists() or not truth_events.exists():
        return None
    with open(users_csv, newline="") as fh:
        users = {r["user_id"]: (r["main_persona"], r["second_persona"]) for r in csv.DictReader(fh)}
    tasks = defaultdict(set)
    for persona, task in con.execute("select persona, task from staging.stg_reference__persona_tasks").fetchall():
        tasks[persona].add(task)
    event_task = dict(con.execute("select event_id, task from read_parquet(?)", [str(truth_events)]).fetchall())
    return users, {p: frozenset(t) for p, t in tasks.items()}, event_task


@dg.asset(
    deps=[persona_policy, induced_personas], group_name=GROUP, kinds={"pytorch", "mlflow"}, pool=DUCKDB_POOL,
    automation_condition=retrain_condition(),
)
def persona_induction_evaluation(context: dg.AssetExecutionContext, config: PersonaPolicyConfig,
                                 warehouse: DuckDBResource, mlflow: MLflowResource) -> dg.MaterializeResult:
    """Heuristic writer vs π0 vs πθ: persona quality, future-interaction Hit@10/@100 vs popularity, true-persona recovery."""
    paths = data_paths()
    policy_dir = current(paths.models, "persona_policy").path
    facts = json.loads((policy_dir / "quality.json").read_text())
    _, tokenizer = load_policy(policy_dir)
    with warehouse.get_connection() as con:
        memories = read_memories(con, config.max_users)
        days = sorted({m.start_ts.date() for m in memories})
        cutoff = days[max(0, int(len(days) * 0.7) - 1)]
        seen = [m for m in memories if m.start_ts.date() <= cutoff]
        future = defaultdict(set)
        for m in memories:
            if m.start_ts.date() > cutoff:
                future[m.user_id].update(m.pages)
        popularity = defaultdict(float)
        for m in seen:
            for page in set(m.pages):
                popularity[page] += 1
        items = sorted({p for m in memories for p in m.pages})
        truth = _true_persona_tasks(con, paths.ground_truth)
    with torch_threads(config.cpu_threads):
        setup = prepare_induction(seen, facts["max_prompt_tokens"], tokenizer=tokenizer)
        writers = _writers(setup, config)
    ks = [10, min(100, len(items))]
    rows = []
    users = sorted(u for u in future if u in {m.user_id for m in seen})
    popular = {u: sorted(items, key=lambda i: (-popularity.get(i, 0.0), i)) for u in users}
    rows.append({"writer": "popularity", **{f"hit@{k}": hit_rate(popular, future, k) for k in ks}})
    for writer, personas in writers.items():
        ranked = {u: rank_items_by_personas(personas.get(u, []), items, setup.scorer, popularity) for u in users}
        rows.append({"writer": writer, **{f"hit@{k}": hit_rate(ranked, future, k) for k in ks}})
    for row in rows:
        row.update(facts["quality"].get(row["writer"], {}))
    recovery = []
    if truth:
        true_users, persona_tasks, event_task = truth
        by_id = {m.memory_id: m for m in setup.memories}
        for writer in writers:
            found = []
            for task in setup.tasks:
                main = true_users.get(task.user_id, ("", ""))[0]
                tasks_of_events = [event_task.get(e, "") for i in task.evidence_ids for e in by_id[i].event_ids]
                found.append((task.user_id, evidence_matches(tasks_of_events, persona_tasks.get(main, frozenset()))))
            per_user = pd.DataFrame(found, columns=["user_id", "matched"]).groupby("user_id")["matched"].any()
            recovery.append({"writer": writer, "users_with_main_persona_recovered": float(per_user.mean())})
    report = write_report(paths.reports, "persona_induction", {
        "dataset": {"users": len(users), "memories": len(memories), "cutoff": str(cutoff), "items": len(items)},
        "writers": rows, "true_persona_recovery": recovery,
        "note": "quality from persona_policy (sampled, K candidates, temperature 1; best_of_k_mean = best of K by the "
                "quality score); Hit@k over pages used after the cutoff, personas induced from memories up to it",
    })
    with mlflow.start_run("personas", run_name="persona_induction_evaluation",
                          tags={"asset": "persona_induction_evaluation"}):
        import mlflow as ml

        for row in rows:
            ml.log_metrics({f"{row['writer']}_{k}".replace("@", "_at_"): float(v) for k, v in row.items()
                            if k != "writer" and v == v})
        ml.log_artifact(str(report))
    return dg.MaterializeResult(metadata={"writers": table(rows), "true_persona_recovery": table(recovery),
                                          "report": str(report), "cutoff": str(cutoff)})
