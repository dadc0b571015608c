"""The demo's smaller model budgets are valid run config for the assets they name (a typo would fail the demo late)."""

from dagster._config import process_config

from persona_dagster.definitions import defs
from persona_dagster.demo import DEMO_MODEL_CONFIG


def _ops():
    return {a.op.name: a.op for a in defs.assets}


def test_every_demo_budget_names_an_asset_and_validates_against_its_config():
    ops = _ops()
    assert set(DEMO_MODEL_CONFIG) <= set(ops)
    for name, config in DEMO_MODEL_CONFIG.items():
        result = process_config(ops[name].config_schema.config_type, config)
        assert result.success, (name, [e.message for e in result.errors or []])


def test_a_misspelt_knob_is_refused():
    result = process_config(_ops()["persona_policy"].config_schema.config_type, {"max_userz": 3})
    assert not result.success and "max_userz" in result.errors[0].message
