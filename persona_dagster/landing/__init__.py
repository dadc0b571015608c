"""The landing zone: <data dir>/landing/dt=YYYY-MM-DD/*.{parquet,csv,jsonl}."""
