"""How dbt nodes become Dagster assets: keys by schema, groups by layer, recomputed as days land."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings

from persona_dagster.defs.automation.conditions import daily_condition, whole_table_condition

# Models built outside the day partitions, over model outputs (ML_MARTS in warehouse/assets.py).
_WHOLE_TABLE_TAG = "ml_mart"


def _layer(props: Mapping[str, Any]) -> str:
    return props.get("config", {}).get("schema") or props.get("schema") or "dbt"


class WarehouseTranslator(DagsterDbtTranslator):
    """Models keyed [schema, name] (marts/sessions); sources keyed [source, table] (raw/events)."""

    def __init__(self) -> None:
        super().__init__(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            # A source written by a model asset names that asset in meta.dagster.asset_key.
            if dbt_resource_props.get("meta", {}).get("dagster", {}).get("asset_key"):
                return super().get_asset_key(dbt_resource_props)
            return dg.AssetKey([dbt_resource_props["source_name"], dbt_resource_props["name"]])
        return dg.AssetKey([_layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return _layer(dbt_resource_props)

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        # Sources are other assets (raw/*), loaded by the landing and reference sensors.
        if dbt_resource_props["resource_type"] == "source":
            return None
        if _WHOLE_TABLE_TAG in dbt_resource_props.get("tags", []):
            return whole_table_condition()
        return daily_condition()
