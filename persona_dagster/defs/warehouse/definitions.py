import dagster as dg

from persona_dagster.defs.warehouse.assets import warehouse_models

defs = dg.Definitions(assets=[warehouse_models])
