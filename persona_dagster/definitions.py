"""The code location: per-domain definitions merged with the shared resources."""

import dagster as dg

# Modules, not their `defs` objects: Dagster refuses a module scope holding several Definitions.
from persona_dagster.defs import resources
from persona_dagster.defs.automation import definitions as automation
from persona_dagster.defs.evaluation import definitions as evaluation
from persona_dagster.defs.ingest import definitions as ingest
from persona_dagster.defs.personas import definitions as personas
from persona_dagster.defs.segments import definitions as segments
from persona_dagster.defs.sessionbert import definitions as sessionbert
from persona_dagster.defs.warehouse import definitions as warehouse

defs = dg.Definitions.merge(
    ingest.defs,
    warehouse.defs,
    automation.defs,
    sessionbert.defs,
    segments.defs,
    personas.defs,
    evaluation.defs,
    # Steps run in the run's own process: one import of torch/dbt per run, not per step, and the
    # DuckDB writer pool serializes the steps anyway.
    dg.Definitions(resources=resources.build_resources(), executor=dg.in_process_executor),
)
