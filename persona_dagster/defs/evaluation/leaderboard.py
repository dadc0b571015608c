"""The leaderboard asset: every evaluation report (and the real-log benchmarks' reports) as one table."""

import dagster as dg

from persona_dagster.defs.automation.conditions import whole_table_condition
from persona_dagster.defs.metadata import table
from persona_dagster.defs.personas.drift import persona_drift_evaluation
from persona_dagster.defs.personas.evaluation import persona_induction_evaluation
from persona_dagster.defs.segments.evaluation import recommendation_evaluation
from persona_dagster.defs.sessionbert.assets import next_activity_evaluation
from persona_dagster.evaluation.leaderboard import build_leaderboard
from persona_dagster.reports import write_report
from persona_dagster.settings import data_paths

GROUP = "evaluation"


@dg.asset(
    deps=[recommendation_evaluation, next_activity_evaluation, persona_induction_evaluation, persona_drift_evaluation],
    group_name=GROUP, kinds={"python"}, automation_condition=whole_table_condition(),
)
def leaderboard() -> dg.MaterializeResult:
    """Every model and baseline on every dataset and metric, with 95% intervals and n (reports/leaderboard.json)."""
    paths = data_paths()
    board = build_leaderboard(paths.reports)
    report = write_report(paths.reports, "leaderboard", board)
    return dg.MaterializeResult(metadata={
        "leaderboard": table(board["rows"]), "rows": len(board["rows"]),
        "datasets": dg.MetadataValue.json(board["datasets"]), "sources": dg.MetadataValue.json(board["sources"]),
        "report": str(report),
    })
