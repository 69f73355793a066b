"""`ingest()`: load every pending delivery of a landing zone without any orchestrator."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from pathlib import Path

from shopsight import warehouse as wh
from shopsight.ingest.layout import Delivery, discover
from shopsight.ingest.loader import EntityLoad, load_order, load_unit, pending, unit_of


def ingest(
    warehouse: Path,
    landing_dir: Path,
    run_id: str,
    *,
    full_refresh: bool = False,
    dt_from: date | None = None,
    dt_through: date | None = None,
) -> dict[str, EntityLoad]:
    """Load the pending deliveries (optionally only dts in [dt_from, dt_through]), unit by unit
    in dependency order. Takes the warehouse's writer lock for the duration."""
    found = [
        d
        for d in discover(landing_dir)
        if (dt_from is None or d.dt >= dt_from) and (dt_through is None or d.dt <= dt_through)
    ]
    results: dict[str, EntityLoad] = {}
    with wh.writer_lock(warehouse), wh.connect(warehouse) as con:
        todo = pending(con, found, full_refresh=full_refresh)
        by_unit: dict[str, list[Delivery]] = defaultdict(list)
        for d in todo:
            by_unit[unit_of(d.entity)].append(d)
        for unit in load_order():
            if by_unit.get(unit):
                results.update(load_unit(con, unit, by_unit[unit], landing_dir, run_id))
    return results
