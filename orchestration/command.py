"""`shopsight run`: ingest every complete delivery not yet loaded (or re-delivered), run the
quality gates, `dbt build`, and publish the serving snapshot, in one Dagster run."""

from __future__ import annotations

import argparse
import os

from shopsight import settings as settings_module
from shopsight.spark.pipeline import ENGINE_ENV, ENGINES

HELP = "Ingest new deliveries, check them, dbt build, publish the serving snapshot."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    settings_module.add_location_arguments(parser)
    parser.add_argument(
        "--full-refresh",
        action="store_true",
        help="reload every delivery and rebuild every dbt model from scratch",
    )
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default=None,
        help="where dbt builds the marts: duckdb (default) or spark, a local Spark reading the "
        "raw layer from the Parquet lake (docs/spark.md); default from SHOPSIGHT_ENGINE",
    )


def run(args: argparse.Namespace) -> int:
    from orchestration.runner import LandingZoneMissingError, run_pipeline
    from shopsight.warehouse import WarehouseBusyError

    if args.engine:
        os.environ[ENGINE_ENV] = args.engine  # the dbt asset reads it, as under `dagster dev`
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
