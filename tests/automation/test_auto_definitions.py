"""The automation wiring as the code location exposes it, and the instance's run queue limits."""

import datetime as dt
import shutil

import dagster as dg

from persona_dagster.definitions import defs
from persona_dagster.defs.partitions import daily_partitions
from persona_dagster.defs.warehouse.assets import warehouse_models
from persona_dagster.settings import REPO_ROOT


def test_sensors_run_from_the_start_and_the_schedule_is_opt_in():
    for name in ("landing_sensor", "reference_sensor"):
        assert defs.resolve_sensor_def(name).default_status == dg.DefaultSensorStatus.RUNNING
    automation = defs.resolve_sensor_def("persona_automation")
    assert isinstance(automation, dg.AutomationConditionSensorDefinition)
    assert automation.default_status == dg.DefaultSensorStatus.RUNNING
    schedule = defs.resolve_schedule_def("daily_pipeline_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED


def test_dbt_models_carry_the_widened_eager_or_the_whole_table_condition():
    graph = defs.resolve_asset_graph()
    labels = {k.to_user_string(): (graph.get(k).automation_condition or dg.AutomationCondition.missing()).get_label()
              for k in graph.get_all_asset_keys()}
    day_models = {k.to_user_string() for k in warehouse_models.keys}
    assert "marts/session_sequences" in day_models
    assert all(labels[k].startswith("eager_within_") for k in day_models)
    # Unpartitioned dbt tables over model outputs (tag ml_mart) follow any upstream update instead.
    whole = [k for k in labels if k.split("/")[0] in ("staging", "intermediate", "marts") and k not in day_models]
    assert all(labels[k] == "after_any_upstream_update" for k in whole)
    # raw/* are loaded by the sensors, not by a condition.
    assert labels["raw/events"] is None and labels["raw/activity_tasks"] is None


def test_daily_schedule_builds_yesterday_for_every_day_partitioned_asset_only():
    job = defs.resolve_job_def("daily_partitioned_assets")
    selected = {k.to_user_string() for k in job.asset_layer.selected_asset_keys}
    assert {"raw/events", "staging/stg_clickstream__events", "marts/session_sequences"} <= selected
    assert "raw/activity_tasks" not in selected  # unpartitioned: not rebuilt every day
    schedule = defs.resolve_schedule_def("daily_pipeline_schedule")
    day = daily_partitions.start.date() + dt.timedelta(days=9)
    tick = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0, 30), tzinfo=dt.timezone.utc)
    context = dg.build_schedule_context(scheduled_execution_time=tick, repository_def=defs.get_repository_def())
    [request] = schedule.evaluate_tick(context).run_requests
    assert request.partition_key == day.isoformat()


def test_instance_config_keeps_one_duckdb_writer_and_a_small_run_queue(tmp_path):
    shutil.copy(REPO_ROOT / "dagster.yaml", tmp_path / "dagster.yaml")
    instance = dg.DagsterInstance.from_config(str(tmp_path))
    try:
        config = instance.get_concurrency_config()
        assert config.pool_config.default_pool_limit == 1
        queue = config.run_queue_config
        assert queue.max_concurrent_runs == 2
        assert {"key": "dagster/sensor_name", "value": "landing_sensor", "limit": 1} in queue.tag_concurrency_limits
    finally:
        instance.dispose()
