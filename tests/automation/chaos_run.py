"""One warehouse materialization of a day, through the in-process runner the CLI uses (for the chaos test).

Usage: chaos_run.py DATA_DIR YYYY-MM-DD  (DAGSTER_HOME set by the caller: a persistent instance).
Only the ingest and warehouse definitions are loaded: the model code (torch) would triple each start.
"""

import datetime as dt
import sys
from pathlib import Path

if __name__ == "__main__":
    import dagster as dg

    from persona_dagster.defs import resources
    from persona_dagster.defs.ingest import assets as ingest
    from persona_dagster.defs.warehouse import assets as warehouse
    from persona_dagster.demo import prepare_dagster_home
    from persona_dagster.runner import materialize_days
    from persona_dagster.settings import DataPaths

    root, day = Path(sys.argv[1]), dt.date.fromisoformat(sys.argv[2])
    prepare_dagster_home(DataPaths(root))
    defs = dg.Definitions(assets=dg.load_assets_from_modules([ingest, warehouse]),
                          resources=resources.build_resources())
    graph = defs.resolve_asset_graph()
    # raw/* and the day-partitioned dbt models; the ml marts need the models' outputs.
    selection = {k for k in graph.materializable_asset_keys
                 if k.path[0] == "raw" or graph.get(k).partitions_def is not None}
    results = materialize_days(day, day, instance=dg.DagsterInstance.get(), selection=selection,
                               log_level="WARNING", defs=defs)
    sys.exit(0 if all(r.success for r in results) else 1)
