"""The code location: per-domain definitions merged with the shared resources."""

import dagster as dg

from persona_dagster.defs.ingest.definitions import defs as ingest_defs
from persona_dagster.defs.resources import build_resources
from persona_dagster.defs.warehouse.definitions import defs as warehouse_defs

defs = dg.Definitions.merge(
    ingest_defs,
    warehouse_defs,
    dg.Definitions(resources=build_resources()),
)
