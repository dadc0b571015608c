"""Throughput of the synthetic clickstream generator on a ~1M-event run, per landing format.

Each variant runs in a fresh process so its peak memory (ru_maxrss) is its own. Variants:
  simulate   sessions and events only, nothing written (the floor under every format)
  parquet    the full generate() writing Parquet (the default)
  csv, jsonl the same run writing CSV / JSONL (the baselines: same events, slower writers)
Usage: python benchmarks/bench_generator.py [--users 15000] [--days 7] [--variants simulate,parquet,csv,jsonl]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def run_one(variant: str, users: int, days: int) -> dict[str, object]:
    """Time one variant in this process; returns events, seconds, events/s and peak RSS."""
    from persona_dagster.synth import SynthConfig, default_catalog, generate
    from persona_dagster.synth.population import make_population
    from persona_dagster.synth.sessions import ClickstreamSimulator, Knobs

    import numpy as np

    config = SynthConfig(users=users, days=days, fmt="parquet" if variant == "simulate" else variant)
    began = time.perf_counter()
    if variant == "simulate":
        catalog = default_catalog()
        population = make_population(
            catalog, users, np.random.default_rng([config.seed, 0]),
            second_persona_share=config.second_persona_share, no_session_id_share=config.no_session_id_share,
        )
        knobs = Knobs(config.session_rate, config.noise_rate, config.adoption_rate, config.random_adoption_rate,
                      config.multi_task_rate)
        sim = ClickstreamSimulator(catalog, population, knobs, config.seed)
        events = sum(
            len(sim.simulate_day(i, config.start_date + dt.timedelta(days=i)).ts) for i in range(days)
        )
    else:
        with tempfile.TemporaryDirectory() as out:
            events = int(generate(config, out)["events"])
    seconds = time.perf_counter() - began
    return {
        "variant": variant,
        "users": users,
        "days": days,
        "events": events,
        "seconds": round(seconds, 2),
        "events_per_s": round(events / seconds),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=15_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--variants", default="simulate,parquet,csv,jsonl")
    parser.add_argument("--one", help=argparse.SUPPRESS)  # internal: run a single variant, print JSON
    args = parser.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one, args.users, args.days)))
        return 0

    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    results = []
    for variant in args.variants.split(","):
        done = subprocess.run(
            [sys.executable, __file__, "--one", variant, "--users", str(args.users), "--days", str(args.days)],
            capture_output=True, text=True, env=env, check=True,
        )
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(f"{'variant':<10} {'events':>9} {'seconds':>8} {'events/s':>10} {'peak RSS MB':>12}")
    for r in results:
        print(f"{r['variant']:<10} {r['events']:>9} {r['seconds']:>8} {r['events_per_s']:>10} {r['peak_rss_mb']:>12}")
    print(f"cpu cores: {os.cpu_count()}; python {sys.version.split()[0]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
