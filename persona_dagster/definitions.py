"""The code location: every definition found under defs/ (dg's defs folder, see [tool.dg]) plus the shared resources."""

from pathlib import Path

import dagster as dg

from persona_dagster.defs import resources

defs = dg.Definitions.merge(
    dg.load_from_defs_folder(path_within_project=Path(__file__).parent),
    # Steps run in the run's own process: one import of torch/dbt per run, not per step, and the
    # DuckDB writer pool serializes the steps anyway.
    dg.Definitions(resources=resources.build_resources(), executor=dg.in_process_executor),
)
