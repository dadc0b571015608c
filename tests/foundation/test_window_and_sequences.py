import datetime as dt

import pytest

from persona_dagster.sequences import activity_token, format_session_sequence, split_session_sequence
from persona_dagster.warehouse.window import days_in_window, dbt_vars_arg, dbt_vars_for_window


def test_partition_window_becomes_half_open_dbt_vars():
    start = dt.datetime(2026, 1, 3, tzinfo=dt.timezone.utc)
    variables = dbt_vars_for_window(start, start + dt.timedelta(days=2))
    assert variables == {"min_date": "2026-01-03", "max_date": "2026-01-05"}
    assert dbt_vars_arg(variables) == '{"max_date": "2026-01-05", "min_date": "2026-01-03"}'
    assert days_in_window(start, start + dt.timedelta(days=2)) == [dt.date(2026, 1, 3), dt.date(2026, 1, 4)]


def test_empty_window_is_an_error():
    with pytest.raises(ValueError, match="empty partition window"):
        dbt_vars_for_window(dt.date(2026, 1, 2), dt.date(2026, 1, 2))


def test_sequence_format_round_trips_and_skips_empty_sections():
    activities = [activity_token("ecs", "instances"), activity_token("Object Storage", " bucket  list ")]
    assert activities[1] == "Object_Storage;bucket_list"
    context = {"[location_token]": ["country:Germany"], "[daily_page_token]": [], "[monthly_billed_token]": ["ecs"]}
    sequence = format_session_sequence(activities, context)
    assert sequence == (
        "[activity] ecs;instances [SEP] Object_Storage;bucket_list [location_token] country:Germany "
        "[monthly_billed_token] ecs"
    )
    parsed_activities, parsed_context = split_session_sequence(sequence)
    assert parsed_activities == activities
    assert parsed_context == {"[location_token]": ["country:Germany"], "[monthly_billed_token]": ["ecs"]}
