"""Shared test setup: offline, no telemetry, an isolated data directory per test session."""

import os
import tempfile

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DAGSTER_TELEMETRY_DISABLED", "true")
# Never the user's data directory (./data after `make demo`, or $PERSONA_DAGSTER_DATA_DIR): the daily
# partitions start at its earliest landed day, read at import, and the fixtures' 2026-01-01 days then
# fell outside them. Tests that need data point the pipeline at their own directories.
os.environ["PERSONA_DAGSTER_DATA_DIR"] = tempfile.mkdtemp(prefix="persona-dagster-tests-")
os.environ.pop("PERSONA_DAGSTER_START_DATE", None)

# Under pytest-xdist (`make test` runs one worker per core), each worker trains with one torch
# thread: two workers spinning two OpenMP threads each on two cores ran training 5x slower
# (sessionbert/device.py). Set before torch loads, and inherited by the dbt, dagster and
# torchrun processes the tests start.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")


# Under xdist's --dist loadfile, files go to workers in collection order: the longest files first, so
# the two long poles do not start last behind a queue of short files (measured fresh clone, 2 workers:
# 909 s with these last in alphabetical order, user time equal to wall time - one core idle at the end).
LONGEST_FIRST = ("test_model_assets.py", "test_auto_dagster_dev_e2e.py", "test_any_clickstream.py", "test_chaos.py",
                 "test_pipeline_e2e.py", "test_pi_end_to_end.py", "test_persona_drift_assets.py", "test_publish.py",
                 "test_pi_backbone.py", "test_spark_parity.py")


def pytest_collection_modifyitems(items):
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))  # stable: the rest keep their order
