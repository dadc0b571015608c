"""The `persona-dagster` command: generate, import real logs, run the demo, load days."""

from __future__ import annotations

import argparse
import datetime as dt
import sys


def _day(value: str) -> dt.date:
    """A strict YYYY-MM-DD argument (2026-W01-5 or 20260101 are refused, not reinterpreted)."""
    from persona_dagster.landing.paths import LandingPathError, validate_date

    try:
        return validate_date(value)
    except LandingPathError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _add_demo(subparsers) -> None:
    from persona_dagster.demo import DEMO_DAYS, DEMO_USERS

    parser = subparsers.add_parser("demo", help="generate default data if none landed, materialize every asset")
    parser.add_argument("--users", type=int, default=DEMO_USERS)
    parser.add_argument("--days", type=int, default=DEMO_DAYS)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--budget", choices=("demo", "full"), default="demo",
                        help="demo: the small model budgets that fit ~10 minutes on 2 cores (default); "
                             "full: the assets' own defaults, as scheduled runs use them (hours on a CPU)")

    def run(args: argparse.Namespace) -> None:
        from persona_dagster.demo import run_demo

        run_demo(users=args.users, days=args.days, seed=args.seed, budget=args.budget)

    parser.set_defaults(func=run)


def _add_materialize(subparsers) -> None:
    parser = subparsers.add_parser("materialize", help="materialize every asset for a day range (one run)")
    parser.add_argument("--from", dest="first", required=True, type=_day, help="YYYY-MM-DD")
    parser.add_argument("--to", dest="last", required=True, type=_day, help="YYYY-MM-DD, inclusive")

    def run(args: argparse.Namespace) -> None:
        from persona_dagster.runner import materialize_days
        from persona_dagster.defs.partitions import check_day_range
        from persona_dagster.demo import prepare_dagster_home
        from persona_dagster.settings import data_paths

        try:
            check_day_range(args.first, args.last)
        except ValueError as exc:
            raise SystemExit(f"persona-dagster materialize: {exc}") from None
        prepare_dagster_home(data_paths())
        results = materialize_days(args.first, args.last)
        if not all(r.success for r in results):
            raise SystemExit("a run failed")

    parser.set_defaults(func=run)


def main(argv: list[str] | None = None) -> None:
    from persona_dagster.importers.cli import add_parsers as add_import_parsers
    from persona_dagster.synth.cli import add_parser as add_generate_parser

    parser = argparse.ArgumentParser(prog="persona-dagster", description=__doc__)
    subparsers = parser.add_subparsers(dest="command", required=True)
    add_generate_parser(subparsers)
    add_import_parsers(subparsers)
    _add_demo(subparsers)
    _add_materialize(subparsers)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main(sys.argv[1:])
