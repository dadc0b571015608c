"""The leaderboard asset: every evaluation report (and the real-log benchmarks' reports) as one table."""

from pathlib import Path

import dagster as dg

from persona_dagster.defs.automation.conditions import whole_table_condition
from persona_dagster.defs.metadata import table
from persona_dagster.defs.personas.drift import persona_drift_evaluation
from persona_dagster.defs.personas.evaluation import persona_induction_evaluation
from persona_dagster.defs.resources import ReportsResource
from persona_dagster.defs.segments.evaluation import recommendation_evaluation
from persona_dagster.defs.sessionbert.evaluation import next_activity_evaluation
from persona_dagster.evaluation.leaderboard import build_leaderboard

GROUP = "evaluation"


@dg.asset(
    deps=[recommendation_evaluation, next_activity_evaluation, persona_induction_evaluation, persona_drift_evaluation],
    group_name=GROUP, kinds={"python"}, automation_condition=whole_table_condition(),
)
def leaderboard(reports: ReportsResource) -> dg.MaterializeResult:
    """Every model and baseline on every dataset and metric, with 95% intervals and n (reports/leaderboard.json)."""
    board = build_leaderboard(Path(reports.root))
    report = reports.write("leaderboard", board)
    return dg.MaterializeResult(metadata={
        "leaderboard": table(board["rows"]), "rows": len(board["rows"]),
        "datasets": dg.MetadataValue.json(board["datasets"]), "sources": dg.MetadataValue.json(board["sources"]),
        "report": str(report),
    })
