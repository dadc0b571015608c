import dagster as dg

from persona_dagster.defs.ingest.assets import raw_events, reference_tables

defs = dg.Definitions(assets=[raw_events, reference_tables])
