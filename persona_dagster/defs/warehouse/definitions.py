import dagster as dg

from persona_dagster.defs.warehouse.assets import ml_marts, warehouse_models

defs = dg.Definitions(assets=[warehouse_models, ml_marts])
