"""dbt models (DuckDB) as partitioned Dagster assets."""
