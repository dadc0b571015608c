"""The one evaluation protocol: time splits, leak guards, bootstrap intervals (Dagster-free)."""
