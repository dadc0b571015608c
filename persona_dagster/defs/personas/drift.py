"""Persona drift as assets: per day, each user's personas against the previous period, scored on switches."""

import datetime as dt

import dagster as dg
import pandas as pd
from dagster_duckdb import DuckDBResource

from persona_dagster.defs.automation.conditions import daily_condition, retrain_condition
from persona_dagster.defs.metadata import table
from persona_dagster.defs.partitions import DUCKDB_POOL, daily_partitions, single_run_backfill
from persona_dagster.defs.resources import ReportsResource
from persona_dagster.personas.drift import DRIFT_COLUMNS, DriftParams, drift_summary, switch_detection, user_drift
from persona_dagster.warehouse.ml_tables import ensure_ml_tables, replace_window
from persona_dagster.defs.warehouse.keys import PERSONA_TASKS
from persona_dagster.warehouse.persona_reads import memory_intents, persona_drift_rows, persona_task_weights

GROUP = "personas"
MAIN_CHANGE_CHECK = "main_persona_changes_within_threshold"
SWITCHES_FILE = "persona_switches.csv"


class PersonaDriftConfig(dg.Config):
    """Period length, when a persona counts as held, evidence needed on both sides, the warning threshold."""

    period_days: int = 7
    min_share: float = 0.2
    min_memories: int = 3
    # Warn when more of the compared users than this changed their main persona in a day's comparison.
    max_main_change_share: float = 0.15

    def params(self) -> DriftParams:
        return DriftParams(self.period_days, self.min_share, self.min_memories)


def _days(window) -> list[dt.date]:
    first, end = window.start.date(), window.end.date()
    return [first + dt.timedelta(days=i) for i in range((end - first).days)]


def _check(summaries: dict[dt.date, dict], threshold: float) -> dg.AssetCheckResult:
    rows = [{"as_of_date": str(day), **{k: s[k] for k in ("compared_users", "main_changed_users",
                                                          "main_changed_share", "mean_evidence_shift")}}
            for day, s in summaries.items()]
    over = [r["as_of_date"] for r in rows if r["main_changed_share"] > threshold]
    worst = max((r["main_changed_share"] for r in rows), default=0.0)
    return dg.AssetCheckResult(
        check_name=MAIN_CHANGE_CHECK, passed=not over, severity=dg.AssetCheckSeverity.WARN,
        description=(f"main persona changed for more than {threshold:.0%} of compared users on {over}" if over
                     else f"main persona changed for at most {threshold:.0%} of compared users"),
        metadata={"threshold": threshold, "max_main_changed_share": float(worst),
                  "days_over": dg.MetadataValue.json(over), "days": table(rows)})


@dg.asset(
    deps=["intent_memories", PERSONA_TASKS], group_name=GROUP, kinds={"python", "duckdb"},
    partitions_def=daily_partitions, backfill_policy=single_run_backfill, pool=DUCKDB_POOL,
    automation_condition=daily_condition(),
    check_specs=[dg.AssetCheckSpec(
        MAIN_CHANGE_CHECK, asset="persona_drift",
        description="The share of users whose main persona changed stays under a threshold")],
)
def persona_drift(context: dg.AssetExecutionContext, config: PersonaDriftConfig,
                  warehouse: DuckDBResource) -> dg.MaterializeResult:
    """Per user and day: main persona now vs the previous period, personas gained and lost, evidence shift."""
    days = _days(context.partition_time_window)
    params = config.params()
    # Each day looks back two periods, so read memories from before the window too.
    since = days[0] - dt.timedelta(days=2 * params.period_days - 1)
    with warehouse.get_connection() as con:
        ensure_ml_tables(con)
        memories = memory_intents(con, since, days[-1])
        persona_tasks = persona_task_weights(con)
        frames = [user_drift(memories, persona_tasks, day, params) for day in days]
        frame = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=DRIFT_COLUMNS)
        written = replace_window(con, "persona_drift", frame, days[0], days[-1] + dt.timedelta(days=1))
    summaries = {day: drift_summary(f) for day, f in zip(days, frames)}
    latest = summaries[days[-1]]
    return dg.MaterializeResult(metadata={
        "rows": written, "as_of_date": str(days[-1]),
        **{k: v for k, v in latest.items() if k != "top_transitions"},
        "top_transitions": table(latest["top_transitions"]),
    }, check_results=[_check(summaries, config.max_main_change_share)])


@dg.asset(deps=[persona_drift], group_name=GROUP, kinds={"python"}, pool=DUCKDB_POOL,
          automation_condition=retrain_condition())
def persona_drift_evaluation(warehouse: DuckDBResource, reports: ReportsResource) -> dg.MaterializeResult:
    """Precision and recall of detected main-persona changes vs the generator's switches (reports/persona_drift.json)."""
    truth = reports.truth / SWITCHES_FILE
    if not truth.exists():
        return dg.MaterializeResult(metadata={"evaluated": False, "reason": f"no ground_truth/{SWITCHES_FILE}"})
    switches = pd.read_csv(truth, dtype=str)
    with warehouse.get_connection() as con:
        drift = persona_drift_rows(con)
    # nan (nothing detected, or nobody switched) is reported as null: JSON and metadata have no nan.
    scores = {k: None if v != v else v for k, v in switch_detection(drift, switches).items()}
    reports.write("persona_drift", {
        "metrics": scores, "dataset": {"as_of_days": int(drift["as_of_date"].nunique()), "rows": len(drift)},
        "definition": "per user: a main-persona change detected on a day whose two periods straddle the true switch"})
    return dg.MaterializeResult(metadata={"evaluated": True, **{k: v for k, v in scores.items() if v is not None}})
