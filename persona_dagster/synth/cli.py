"""`generate` subcommand: write the synthetic clickstream into a data directory."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from persona_dagster.settings import data_dir, generated_start_date
from persona_dagster.synth.generator import OUTPUT_FORMATS, SynthConfig, generate

_DEFAULTS = SynthConfig()


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register `generate` on an argparse subparsers object; the parsed args carry func=run_generate."""
    parser = subparsers.add_parser(
        "generate",
        help="write the synthetic cloud-console clickstream (landing files, reference inputs, ground truth)",
        description="Generate the embedded synthetic clickstream with known personas.",
    )
    parser.add_argument("--users", type=int, default=_DEFAULTS.users, help="number of users (default %(default)s)")
    parser.add_argument("--days", type=int, default=_DEFAULTS.days, help="number of days (default %(default)s)")
    parser.add_argument(
        "--start", default=None, help="first day YYYY-MM-DD (default $PERSONA_DAGSTER_START_DATE, else the data ends yesterday)"
    )
    parser.add_argument("--seed", type=int, default=_DEFAULTS.seed, help="random seed (default %(default)s)")
    parser.add_argument(
        "--format", dest="fmt", choices=OUTPUT_FORMATS, default=_DEFAULTS.fmt,
        help="landing file format; mixed rotates parquet, csv, jsonl by day (default %(default)s)",
    )
    parser.add_argument(
        "--malformed-rate", type=float, default=_DEFAULTS.malformed_rate,
        help="bad rows added per clean row, for testing quarantine (default %(default)s)",
    )
    parser.add_argument("--corrupt-file", action="store_true", help="also write one unreadable landing file")
    parser.add_argument(
        "--session-rate", type=float, default=_DEFAULTS.session_rate,
        help="mean sessions per user per weekday (default %(default)s)",
    )
    parser.add_argument(
        "--no-session-id-share", type=float, default=_DEFAULTS.no_session_id_share,
        help="share of users whose events carry no session_id (default %(default)s)",
    )
    parser.add_argument(
        "--persona-switch-share", type=float, default=_DEFAULTS.persona_switch_share,
        help="share of users whose main persona switches mid-period, for measuring drift (default %(default)s)",
    )
    parser.add_argument(
        "--out", type=Path, default=None, help="data directory (default $PERSONA_DAGSTER_DATA_DIR or ./data)"
    )
    parser.set_defaults(func=run_generate)
    return parser


def run_generate(args: argparse.Namespace) -> int:
    """Generate with the parsed flags and print a short JSON summary."""
    config = SynthConfig(
        users=args.users,
        days=args.days,
        start=args.start or generated_start_date(args.days),
        seed=args.seed,
        fmt=args.fmt,
        malformed_rate=args.malformed_rate,
        corrupt_file=args.corrupt_file,
        session_rate=args.session_rate,
        no_session_id_share=args.no_session_id_share,
        persona_switch_share=args.persona_switch_share,
    )
    out = args.out or data_dir()
    began = time.perf_counter()
    summary = generate(config, out)
    brief = {
        "out": summary["paths"]["root"],
        "users": summary["users"],
        "days": config.days,
        "events": summary["events"],
        "malformed_rows": summary["malformed_rows"],
        "adoptions": summary["adoptions"],
        "persona_switches": summary["persona_switches"],
        "files": len(summary["paths"]["files"]),
        "seconds": round(time.perf_counter() - began, 2),
    }
    print(json.dumps(brief, indent=2))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m persona_dagster.synth.cli")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
