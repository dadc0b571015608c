"""The import-eshop and import-msnbc subcommands, for the project's argparse CLI."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from pathlib import Path

from persona_dagster.events.schema import LANDING_FORMATS
from persona_dagster.importers import eshop, msnbc
from persona_dagster.settings import DataPaths, data_dir


def add_parsers(subparsers: argparse._SubParsersAction) -> None:
    """Register import-eshop and import-msnbc; each sets func(args) -> exit code."""
    eshop_parser = subparsers.add_parser(
        "import-eshop", help="convert the UCI e-shop clothing 2008 log into landing files (one per day)"
    )
    _add_common_flags(eshop_parser, eshop.DEFAULT_SRC)
    eshop_parser.set_defaults(func=run_import_eshop)

    msnbc_parser = subparsers.add_parser(
        "import-msnbc", help="convert the UCI msnbc.com 1999-09-28 sequences into a landing file"
    )
    _add_common_flags(msnbc_parser, msnbc.DEFAULT_SRC)
    msnbc_parser.add_argument(
        "--limit-users", type=_positive_int, default=None, help="import N users: the first N, or a sample with --seed"
    )
    msnbc_parser.add_argument("--seed", type=int, default=None, help="sample --limit-users users with this seed")
    msnbc_parser.set_defaults(func=run_import_msnbc)


def run_import_eshop(args: argparse.Namespace) -> int:
    """Run the e-shop import from parsed arguments and print its summary as JSON."""
    return _run(lambda landing: eshop.import_eshop(args.src, landing, fmt=args.format), args)


def run_import_msnbc(args: argparse.Namespace) -> int:
    """Run the msnbc import from parsed arguments and print its summary as JSON."""
    return _run(
        lambda landing: msnbc.import_msnbc(
            args.src, landing, fmt=args.format, limit_users=args.limit_users, seed=args.seed
        ),
        args,
    )


def _run(import_into: Callable[[Path], dict[str, object]], args: argparse.Namespace) -> int:
    # Resolved now, not at parser build time, so $PERSONA_DAGSTER_DATA_DIR set later still counts.
    landing = DataPaths(Path(args.out) if args.out else data_dir()).landing
    # ImportSourceError is a ValueError, as are the importers' checks of their knobs.
    try:
        summary = import_into(landing)
    except (FileNotFoundError, ValueError) as exc:
        raise SystemExit(f"error: {exc}") from exc
    print(json.dumps(summary, indent=2))
    return 0


def _add_common_flags(parser: argparse.ArgumentParser, default_src: Path) -> None:
    parser.add_argument("--src", type=Path, default=default_src, help=f"source file (default: {default_src})")
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="data directory; files go under <out>/landing (default: $PERSONA_DAGSTER_DATA_DIR or ./data)",
    )
    parser.add_argument("--format", choices=LANDING_FORMATS, default="parquet", help="landing file format")


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive whole number, got {text}")
    return value
