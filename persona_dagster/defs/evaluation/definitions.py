import dagster as dg

from persona_dagster.defs.evaluation.leaderboard import leaderboard

defs = dg.Definitions(assets=[leaderboard])
