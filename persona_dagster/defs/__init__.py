"""Thin Dagster wiring, one package per domain; definitions.py merges their `defs`."""
