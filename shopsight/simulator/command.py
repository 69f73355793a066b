"""`shopsight simulate`: write a simulated landing zone and its truth.json."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

HELP = "Simulate the marketplace: write a landing zone (and truth.json beside it)."


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out", type=Path, default=None, help="landing root (default: SHOPSIGHT_LANDING_DIR)"
    )
    parser.add_argument("--start", type=date.fromisoformat, default=date(2015, 1, 1))
    parser.add_argument("--days", type=int, default=730, help="days to simulate (default 730)")
    parser.add_argument(
        "--scale", type=float, default=0.01, help="1 = ~1M counted orders a year (default 0.01)"
    )
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--faults",
        type=float,
        default=0.0,
        help="break about RATE x (sales rows) rows, spread over fault kinds (default 0: none)",
    )
    parser.add_argument(
        "--truth", type=Path, default=None, help="where to write truth.json (default <out>/../)"
    )


def run(args: argparse.Namespace) -> int:
    import time

    from shopsight import settings
    from shopsight.simulator.engine import default_truth_path
    from shopsight.simulator.engine import run as run_simulation

    out = args.out or settings.load().landing_dir
    t0, cpu0 = time.perf_counter(), time.process_time()
    try:
        truth, stats = run_simulation(
            out, args.start, args.days, args.scale, args.seed, args.faults, args.truth
        )
    except ValueError as exc:
        print(f"shopsight simulate: {exc}")
        return 2
    total, cpu = time.perf_counter() - t0, time.process_time() - cpu0
    print(f"landing zone: {out}")
    print(f"truth:        {args.truth or default_truth_path(out)}")
    print(f"{'entity':<16}{'rows':>12}{'files':>8}{'write s':>9}{'rows/s':>12}")
    for name in truth["entities"]:
        rows = stats.rows[name]
        secs = stats.write_seconds[name]
        rate = rows / secs if secs > 0 else float("inf")
        print(f"{name:<16}{rows:>12,}{stats.files[name]:>8}{secs:>9.2f}{rate:>12,.0f}")
    all_rows = sum(stats.rows.values())
    print(
        f"{'total':<16}{all_rows:>12,}{sum(stats.files.values()):>8}{total:>9.2f}"
        f"{all_rows / total:>12,.0f}  (end to end)"
    )
    print("phases: " + ", ".join(f"{k} {v:.2f}s" for k, v in stats.phases.items()))
    print(f"wall {total:.1f} s, cpu {cpu:.1f} s (all threads)")
    if args.faults > 0:
        print(
            f"faults: {len(truth['faults'])} broken rows, {len(truth['duplicates'])} duplicates, "
            f"{len(truth['schema_drift'])} drifting files, "
            f"{len(truth['truncated_files'])} truncated file(s)"
        )
    return 0
