"""Landing folders not named dt=YYYY-MM-DD are reported by the landing sensor and skipped, never fatal."""

import dagster as dg

from persona_dagster.defs.automation.landing_sensor import landing_sensor

from tests.automation.test_auto_landing_sensor import DAY1, DEFS, _land, landing  # noqa: F401 (landing is a fixture)

MALFORMED = ["dt=0000-00-00", "dt=2025-13-45", "dt=2026-01-02\n"]


def test_malformed_folders_are_reported_in_the_skip_reason_and_good_days_still_load(landing):
    for name in MALFORMED:
        (landing / name).mkdir(parents=True)
        (landing / name / "events.csv").write_text("user_id,ts,service,page\nu1,2026-01-02T10:00:00Z,ecs,x\n")
    data = landing_sensor.evaluate_tick(dg.build_sensor_context(definitions=DEFS))
    assert not data.run_requests
    for name in MALFORMED:
        assert repr(name) in data.skip_message
    _land(landing, DAY1)
    data = landing_sensor.evaluate_tick(dg.build_sensor_context(cursor=data.cursor, definitions=DEFS))
    assert [r.partition_key for r in data.run_requests] == [DAY1]
