"""Writing check outcomes to `ops.check_results`, which the dashboard's Data health page reads."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import duckdb

from shopsight.ingest.schema import ensure_schema


def record(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    check_name: str,
    asset: str,
    partition: str | None,
    passed: bool,
    severity: str,
    details: dict[str, Any] | str,
    ensure_tables: bool = True,
) -> None:
    """One row of `ops.check_results` (severity 'error' or 'warn'). A caller recording many
    rows creates the tables once and passes `ensure_tables=False`."""
    if ensure_tables:
        ensure_schema(con)
    text = details if isinstance(details, str) else json.dumps(details, default=str)
    con.execute(
        "insert into ops.check_results values (?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, check_name, asset, partition, passed, severity, text, datetime.now(UTC)],
    )


def partition_label(first: str | None, last: str | None) -> str | None:
    """`2015-01-01..2016-12-31`, or one date, or None for an unpartitioned check."""
    if not first:
        return None
    return first if first == last else f"{first}..{last}"
