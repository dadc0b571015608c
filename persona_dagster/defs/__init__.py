"""Thin Dagster wiring, one package per domain; definitions.py loads this folder (dg.load_from_defs_folder)."""

import warnings

import dagster as dg

# Every day-partitioned asset takes the (beta) single-run backfill policy: said once here, not once per asset.
warnings.filterwarnings("ignore", message="Parameter `backfill_policy`", category=dg.BetaWarning)
