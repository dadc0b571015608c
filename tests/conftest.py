"""Shared test setup: offline, no telemetry, an isolated data directory per test session."""

import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
os.environ.setdefault("DAGSTER_TELEMETRY_DISABLED", "true")

# Under pytest-xdist (`make test` runs one worker per core), each worker trains with one torch
# thread: two workers spinning two OpenMP threads each on two cores ran training 5x slower
# (sessionbert/device.py). Set before torch loads, and inherited by the dbt, dagster and
# torchrun processes the tests start.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    os.environ.setdefault("MKL_NUM_THREADS", "1")
