"""`shopsight run`: ingest every complete delivery not yet loaded (or re-delivered), run the
quality gates, `dbt build`, and publish the serving snapshot, in one Dagster run."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

HELP = "Ingest new deliveries, check them, dbt build, publish the serving snapshot."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--landing", type=Path, help="landing root (default: settings)")
    parser.add_argument("--warehouse", type=Path, help="warehouse DuckDB file (default: settings)")
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="reload every delivery and rebuild every dbt model from scratch",
    )
    parser.add_argument(
        "--wait",
        type=float,
        default=0.0,
        metavar="SECONDS",
        help="wait up to this long for another run to release the warehouse (default 0)",
    )


def run(args: argparse.Namespace) -> int:
    from orchestration.runner import run_pipeline
    from shopsight import settings as settings_module
    from shopsight.warehouse import WarehouseBusyError

    if args.landing:
        os.environ["SHOPSIGHT_LANDING_DIR"] = str(args.landing.expanduser().resolve())
    if args.warehouse:
        os.environ["SHOPSIGHT_WAREHOUSE"] = str(args.warehouse.expanduser().resolve())
    settings = settings_module.load()
    try:
        summary = run_pipeline(settings, full_refresh=args.full_refresh, wait_seconds=args.wait)
    except WarehouseBusyError as exc:
        print(f"shopsight run: {exc}")
        return 3
    return 0 if summary.success else 1
