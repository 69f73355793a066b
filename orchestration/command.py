"""`shopsight run`: ingest every complete delivery not yet loaded (or re-delivered), run the
quality gates, `dbt build`, and publish the serving snapshot, in one Dagster run."""

from __future__ import annotations

import argparse

from shopsight import settings as settings_module

HELP = "Ingest new deliveries, check them, dbt build, publish the serving snapshot."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    settings_module.add_location_arguments(parser)
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="reload every delivery and rebuild every dbt model from scratch",
    )


def run(args: argparse.Namespace) -> int:
    from orchestration.runner import LandingZoneMissingError, run_pipeline
    from shopsight.warehouse import WarehouseBusyError

    settings = settings_module.load_with_overrides(args)
    try:
        summary = run_pipeline(settings, full_refresh=args.full_refresh, wait_seconds=args.wait)
    except WarehouseBusyError as exc:
        print(f"shopsight run: {exc}")
        return 3
    except LandingZoneMissingError as exc:
        print(f"shopsight run: {exc}")
        return 2
    return 0 if summary.success else 1
