import dagster as dg

from persona_dagster.defs.personas.assets import induced_personas, intent_memories, persona_policy
from persona_dagster.defs.personas.drift import persona_drift, persona_drift_evaluation
from persona_dagster.defs.personas.evaluation import persona_induction_evaluation

defs = dg.Definitions(assets=[intent_memories, persona_policy, induced_personas, persona_induction_evaluation,
                             persona_drift, persona_drift_evaluation])
