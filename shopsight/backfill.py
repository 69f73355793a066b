"""`shopsight backfill --from D --to D`: reload every delivery of a range of dates, rebuild,
publish.

A normal run loads only deliveries that are new or re-delivered (their `_SUCCESS` is newer than
the one recorded). An operator reloads a range when that rule does not see a change: a file was
fixed in place without a new `_SUCCESS`, a backup of the warehouse was restored, or they simply
want the warehouse to hold exactly what the landing zone holds for those dates.

How it works, and why it is safe to repeat: under the warehouse's writer lock it forgets the
recorded `_SUCCESS` time of the range's deliveries, which makes them pending, and then runs the
normal pipeline in the same process without letting go of the lock. Loading a delivery first
deletes what was loaded for its date, so a reload replaces rather than adds; dbt's incremental
window starts at the earliest reloaded date (minus the late-data look-back); the publish step
replaces the snapshot atomically. A crash in between leaves the range pending, and the next run
(or the same backfill again) reloads it. New deliveries outside the range are loaded too, as by
`shopsight run`: a backfill is a run that also reloads the range.
"""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from shopsight import settings as settings_module

HELP = "Reload every delivery of a date range (--from/--to), rebuild and publish; repeatable."

EPOCH_US = 0  # a recorded _SUCCESS time older than any real one: the delivery is pending


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--from",
        dest="date_from",
        type=date.fromisoformat,
        required=True,
        metavar="YYYY-MM-DD",
        help="first delivery date (dt) to reload",
    )
    parser.add_argument(
        "--to",
        dest="date_to",
        type=date.fromisoformat,
        required=True,
        metavar="YYYY-MM-DD",
        help="last delivery date (dt) to reload, inclusive",
    )
    settings_module.add_location_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from orchestration.runner import run_pipeline
    from shopsight import warehouse as wh

    settings = settings_module.load_with_overrides(args)
    first, last = args.date_from, args.date_to
    if first > last:
        print(f"shopsight backfill: --from {first} is after --to {last}")
        return 2
    if not settings.landing_dir.is_dir():
        print(
            f"shopsight backfill: the landing zone {settings.landing_dir} does not exist; "
            "check SHOPSIGHT_LANDING_DIR (nothing was changed)"
        )
        return 2
    try:
        with wh.writer_lock(settings.warehouse, wait_seconds=args.wait):
            marked = mark_pending(settings.landing_dir, settings.warehouse, first, last)
            if not marked:
                print(
                    f"shopsight backfill: no complete delivery dated {first}..{last} in "
                    f"{settings.landing_dir}; nothing to reload (nothing was changed)"
                )
                return 2
            print(
                f"[backfill] reloading {marked} deliveries dated {first}..{last}, then dbt and "
                "publish"
            )
            summary = run_pipeline(settings)
    except wh.WarehouseBusyError as exc:
        print(f"shopsight backfill: {exc}")
        return 3
    return 0 if summary.success else 1


def mark_pending(landing: Path, warehouse: Path, first: date, last: date) -> int:
    """Make every delivery of [first, last] in the landing zone pending; returns how many.

    Call it holding the writer lock, and run the pipeline before letting the lock go.
    """
    from shopsight import warehouse as wh
    from shopsight.ingest.layout import discover
    from shopsight.ingest.schema import ensure_schema

    deliveries = [d for d in discover(landing) if first <= d.dt <= last]
    if not deliveries:
        return 0
    with wh.connect(warehouse) as con:
        ensure_schema(con)
        con.executemany(
            "update ops.deliveries set success_mtime = make_timestamptz(?) "
            "where entity = ? and dt = ?",
            [(EPOCH_US, d.entity, d.dt) for d in deliveries],
        )
    return len(deliveries)
