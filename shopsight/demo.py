"""`shopsight demo`: from nothing to a running dashboard, what `make demo` runs.

It simulates a landing zone (unless one exists), runs the whole pipeline into the embedded DuckDB
warehouse, creates the documented demo accounts and serves the dashboard. `--dev` builds the small
development warehouse of the analyst's loop instead (a few months, under `data/dev/`).
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date
from pathlib import Path

HELP = "Simulate data (if none), run the pipeline and serve the dashboard: the whole demo."

DEV_DIR_NAME = "dev"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=float, default=0.01, help="simulator scale (default 0.01)")
    parser.add_argument("--days", type=int, default=None, help="days to simulate (default 365)")
    parser.add_argument("--start", type=date.fromisoformat, default=date(2015, 1, 1))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--dev",
        action="store_true",
        help="build the small dev warehouse (data/dev/, ~4 months) for the analyst's loop",
    )
    parser.add_argument("--no-serve", action="store_true", help="stop after publishing")
    parser.add_argument("--port", type=int, default=8501)
    parser.add_argument(
        "--resimulate", action="store_true", help="simulate again even if landing data exists"
    )


def _use_dev_paths() -> None:
    """Point every path at data/dev/ unless the user chose paths explicitly."""
    from shopsight.settings import DATA_DIR

    dev = DATA_DIR / DEV_DIR_NAME
    os.environ.setdefault("SHOPSIGHT_LANDING_DIR", str(dev / "landing"))
    os.environ.setdefault("SHOPSIGHT_WAREHOUSE", str(dev / "warehouse.duckdb"))


def run(args: argparse.Namespace) -> int:
    from shopsight import settings as settings_module
    from shopsight.cli import main as cli_main

    if args.dev:
        _use_dev_paths()
    settings = settings_module.load()
    days = args.days or (120 if args.dev else 365)
    landing: Path = settings.landing_dir

    if args.resimulate or not any(landing.glob("*/*/dt=*/_SUCCESS")):
        from shopsight.simulator import simulate

        print(f"[demo] simulating {days} days at scale {args.scale} into {landing}")
        t0 = time.perf_counter()
        simulate(landing, args.start, days, args.scale, args.seed)
        print(f"[demo] simulated in {time.perf_counter() - t0:.1f} s")
    else:
        print(f"[demo] using the existing landing zone {landing}")

    from orchestration.runner import run_pipeline

    summary = run_pipeline(settings)
    if not summary.success:
        print("[demo] the pipeline did not pass its gates; see the messages above")
        return 1
    print(f"[demo] warehouse: {settings.warehouse}")
    print(f"[demo] serving snapshot: {settings.serving}")

    cli_main(["serve", "--create-demo-users"])
    if args.no_serve:
        return 0
    return cli_main(["serve", "--port", str(args.port)])
