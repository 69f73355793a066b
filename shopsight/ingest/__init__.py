"""Ingestion: landing-zone deliveries into DuckDB's `raw` schema, with quarantine and
bookkeeping. Plain Python + DuckDB; Dagster wraps it in `orchestration/assets/raw.py`.

    from shopsight.ingest import ingest
    loads = ingest(warehouse_path, landing_dir, run_id="manual")
"""

from __future__ import annotations

from shopsight.ingest.api import ingest
from shopsight.ingest.layout import Delivery, discover
from shopsight.ingest.loader import DeliveryResult, EntityLoad, load_order, load_unit, pending

__all__ = [
    "Delivery",
    "DeliveryResult",
    "EntityLoad",
    "discover",
    "ingest",
    "load_order",
    "load_unit",
    "pending",
]
