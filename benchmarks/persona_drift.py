"""Persona drift against injected switches: generate data where some users' main persona switches, build what drift reads, score it.

    python benchmarks/persona_drift.py --out /tmp/drift-data [--users 240] [--days 14] [--switch-share 0.2]

The default synthetic data has no switches (`persona_switch_share` 0), so the demo's
`persona_drift_evaluation` can only count false alarms. This writes a dataset with
`--switch-share` of the users switching their main persona on a day in the middle third
(`ground_truth/persona_switches.csv`), materializes the warehouse, the intent memories and
`persona_drift` for every day (no model is trained: drift reads memories through the persona
definitions), then prints `persona_drift_evaluation`'s precision, recall and F1 and its counts.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True, type=Path, help="a new data directory")
    parser.add_argument("--users", type=int, default=240)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--switch-share", type=float, default=0.2, help="users whose main persona switches")
    args = parser.parse_args()
    if args.out.exists() and any(args.out.iterdir()):
        raise SystemExit(f"{args.out} is not empty: give a new data directory")
    os.environ["PERSONA_DAGSTER_DATA_DIR"] = str(args.out.resolve())

    import dagster as dg

    from persona_dagster.definitions import defs
    from persona_dagster.demo import landed_days, prepare_dagster_home
    from persona_dagster.runner import materialize_days
    from persona_dagster.settings import data_paths, generated_start_date
    from persona_dagster.synth.generator import SynthConfig, generate

    started = time.perf_counter()
    paths = data_paths()
    generate(SynthConfig(users=args.users, days=args.days, start=generated_start_date(args.days), seed=args.seed,
                         fmt="mixed", persona_switch_share=args.switch_share), paths.root)
    prepare_dagster_home(paths)
    graph = defs.resolve_asset_graph()
    target = dg.AssetKey("persona_drift_evaluation")
    wanted = set(dg.AssetSelection.assets(target).upstream().resolve(graph))
    # Multi-assets run whole: a reference load or the day-grained dbt models (their tests span all of them).
    selection = set()
    for key in wanted:
        assets_def = graph.get(key).assets_def
        whole = not assets_def.can_subset or any(graph.get(k).partitions_def is not None
                                                 for k in assets_def.keys if k != key)
        selection |= set(assets_def.keys) if whole else {key}
    days = landed_days(paths.landing)
    results = materialize_days(days[0], days[-1], selection=selection)
    if not all(r.success for r in results):
        raise SystemExit("a run failed: see the Dagster logs above")
    report = json.loads((paths.reports / "persona_drift.json").read_text())
    print(f"{args.users} users x {args.days} days, switch share {args.switch_share}, "
          f"{time.perf_counter() - started:.0f} s")
    print(json.dumps(report["metrics"], indent=2))


if __name__ == "__main__":
    main()
