"""DDL of the tables ingestion owns: `raw.*`, `raw.quarantine` and the `ops` bookkeeping.

The shapes are the interface documented in docs/architecture.md; the raw entity tables come
from the contract (`contract.raw_table_ddl`) so a contract change reaches them without an edit
here.
"""

from __future__ import annotations

import duckdb

from shopsight import contract

QUARANTINE_DDL = """
create table if not exists raw.quarantine (
  source varchar not null,
  entity varchar not null,
  dt date not null,
  file varchar not null,
  row_number bigint not null,
  column_name varchar,
  reason_code varchar not null,
  message varchar not null,
  raw_row varchar,
  loaded_at timestamptz not null
)
"""

DELIVERIES_DDL = """
create table if not exists ops.deliveries (
  source varchar not null,
  entity varchar not null,
  dt date not null,
  success_mtime timestamptz not null,
  files integer not null,
  landed_rows bigint not null,
  loaded_rows bigint not null,
  quarantined_rows bigint not null,
  duplicate_rows bigint not null,
  schema_drift varchar,
  status varchar not null,
  error varchar,
  run_id varchar,
  loaded_at timestamptz not null
)
"""

RUNS_DDL = """
create table if not exists ops.runs (
  run_id varchar not null,
  started_at timestamptz not null,
  finished_at timestamptz,
  status varchar not null,
  message varchar
)
"""

CHECK_RESULTS_DDL = """
create table if not exists ops.check_results (
  run_id varchar not null,
  check_name varchar not null,
  asset varchar not null,
  partition varchar,
  passed boolean not null,
  severity varchar not null,
  details varchar,
  checked_at timestamptz not null
)
"""


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw and ops schemas and tables if they are missing (idempotent)."""
    con.execute("create schema if not exists raw")
    con.execute("create schema if not exists ops")
    for e in contract.ENTITIES:
        con.execute(contract.raw_table_ddl(e))
    for ddl in (QUARANTINE_DDL, DELIVERIES_DDL, RUNS_DDL, CHECK_RESULTS_DDL):
        con.execute(ddl)
