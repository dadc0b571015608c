"""DuckDB warehouse I/O that sits outside dbt: raw loads and reference tables."""
