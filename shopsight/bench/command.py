"""`shopsight bench`: simulate, run the pipeline and its baselines, time the dashboard's
queries, and print and save one report (see docs/performance.md)."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

HELP = "Benchmark every stage against a plain-DuckDB lower bound and a pandas peer."

SECTIONS = ("overheads", "lower-bound", "peer", "dashboard", "incremental")


def _skip_list(text: str) -> list[str]:
    names = [s.strip() for s in text.split(",") if s.strip()]
    unknown = [n for n in names if n not in SECTIONS]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown section(s) {', '.join(unknown)}; choose from {', '.join(SECTIONS)}"
        )
    return names


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scale", type=float, default=1.0, help="simulator scale (default 1)")
    parser.add_argument(
        "--days", type=int, default=365, help="days of data for the main run (default 365)"
    )
    parser.add_argument(
        "--engine",
        choices=("duckdb", "spark"),
        default="duckdb",
        help="where the pipeline's dbt stage builds the marts: duckdb (default) or spark "
        "(local mode, as `shopsight run --engine spark`); the stage table is the same",
    )
    parser.add_argument("--start", type=date.fromisoformat, default=date(2015, 1, 1))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the bench's landing zones and warehouses go (default data/bench/scale-S)",
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON report path")
    parser.add_argument(
        "--query-runs",
        type=int,
        default=20,
        help="runs per dashboard query, cold and warm each (default 20)",
    )
    parser.add_argument(
        "--incremental-days",
        type=int,
        default=None,
        help="history length of the incremental scenario (default: --days); the second is twice it",
    )
    parser.add_argument(
        "--incremental-repeats",
        type=int,
        default=2,
        help="one-day runs at each history length; the fastest counts (default 2)",
    )
    parser.add_argument(
        "--memory-limit",
        default="4GB",
        help="DuckDB memory_limit for the pipeline and the lower bound; beyond it DuckDB "
        "spills to disk (default 4GB)",
    )
    parser.add_argument(
        "--skip",
        type=_skip_list,
        default=[],
        help=f"comma-separated sections to leave out: {', '.join(SECTIONS)}",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work folder (landing zones, warehouses)"
    )


def run(args: argparse.Namespace) -> int:
    from shopsight.bench.suite import BenchOptions, run_bench

    options = BenchOptions(
        scale=args.scale,
        days=args.days,
        engine=args.engine,
        start=args.start,
        seed=args.seed,
        workdir=args.workdir,
        out=args.out,
        query_runs=args.query_runs,
        incremental_days=args.incremental_days,
        incremental_repeats=args.incremental_repeats,
        memory_limit=args.memory_limit,
        skip=tuple(args.skip),
        keep=args.keep,
    )
    report, path = run_bench(options)
    print(f"[bench] report written to {path}")
    return 0 if not any(report.agreement.values()) else 1
