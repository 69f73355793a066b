"""The lower bound: the same marts from plain DuckDB, with no dbt, Dagster or checks.

Two steps, each what the engine alone costs:
- `load_landing`: every complete delivery into typed `raw.<entity>` tables in a scratch file
  (one `create table as select` per entity, straight from `read_csv/read_json/read_parquet`),
  with the two lineage columns the scripts use (`_dt`, `_source_file`);
- `build_marts`: `bench/lower_bound/_shared.sql`, then one hand-written script per mart
  (`bench/lower_bound/<mart>.sql`, a single SELECT) materialised as `lower_bound.<mart>`.

The scripts are written from the KPI definitions, independently of the dbt models, so the test
suite can check the two implementations against each other (`shopsight.bench.compare`).
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import duckdb

from shopsight import contract
from shopsight.ingest import discover
from shopsight.settings import REPO_ROOT

SCRIPTS_DIR = REPO_ROOT / "bench" / "lower_bound"
SEEDS_DIR = REPO_ROOT / "seeds"
SHARED_SCRIPT = "_shared.sql"
SCHEMA = "lower_bound"


def connect(path: Path, memory_limit: str | None = None) -> duckdb.DuckDBPyConnection:
    """A connection to the lower bound's scratch file, with the pipeline's session settings
    and the same memory limit (so neither side gets more memory than the other)."""
    from shopsight import warehouse as wh

    con = wh.connect(path)
    con.execute("set enable_progress_bar = false")
    if memory_limit:
        con.execute(f"set memory_limit = '{memory_limit}'")
    return con


def mart_scripts(scripts_dir: Path = SCRIPTS_DIR) -> dict[str, Path]:
    """Mart name -> its script, every `<mart>.sql` not starting with `_`."""
    return {p.stem: p for p in sorted(scripts_dir.glob("*.sql")) if not p.name.startswith("_")}


def _sql_literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _typed_select(entity: contract.Entity, source_sql: str) -> str:
    """SELECT the contract's columns, cast to the raw types, plus `_dt` and `_source_file`."""
    cols = [
        f"cast({c.name} as {contract.DUCKDB_TYPES[c.type]}) as {c.name}" for c in entity.columns
    ]
    dt = r"cast(regexp_extract(filename, 'dt=(\d{4}-\d{2}-\d{2})', 1) as date)"
    cols += [f"{dt} as _dt", "filename as _source_file"]
    return f"select {', '.join(cols)} from {source_sql}"


def _reader(entity: contract.Entity, files: list[Path]) -> str:
    paths = "[" + ", ".join(_sql_literal(str(f)) for f in files) + "]"
    if entity.format == "parquet":
        return f"read_parquet({paths}, filename = true, union_by_name = true)"
    # Text formats: read every column as text and cast once, so the casts (and their errors)
    # are the same as the contract's types whatever DuckDB's sniffer would have guessed.
    columns = "{" + ", ".join(f"'{c.name}': 'VARCHAR'" for c in entity.columns) + "}"
    if entity.format == "csv":
        return f"read_csv({paths}, header = true, columns = {columns}, filename = true)"
    json_columns = (
        "{"
        + ", ".join(
            f"'{c.name}': '{'VARCHAR[]' if c.type == 'string_array' else 'VARCHAR'}'"
            for c in entity.columns
        )
        + "}"
    )
    return (
        f"read_json({paths}, format = 'newline_delimited', columns = {json_columns}, "
        "filename = true)"
    )


def load_landing(con: duckdb.DuckDBPyConnection, landing_dir: Path) -> dict[str, int]:
    """Load every complete delivery into `raw.<entity>` of `con`; rows loaded per entity."""
    files: dict[str, list[Path]] = defaultdict(list)
    for delivery in discover(landing_dir):
        files[delivery.entity].extend(delivery.files)
    con.execute("create schema if not exists raw")
    rows: dict[str, int] = {}
    for entity in contract.ENTITIES:
        table = f"raw.{entity.name}"
        if not files.get(entity.name):
            con.execute(contract.raw_table_ddl(entity).replace("if not exists ", ""))
            rows[entity.name] = 0
            continue
        con.execute(
            f"create or replace table {table} as "
            + _typed_select(entity, _reader(entity, files[entity.name]))
        )
        rows[entity.name] = con.execute(f"select count(*) from {table}").fetchone()[0]
    return rows


def attach_raw(con: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    """Expose a pipeline warehouse's raw tables as `raw.<entity>` views (read-only attach)."""
    con.execute(f"attach {_sql_literal(str(warehouse))} as wh (read_only)")
    con.execute("create schema if not exists raw")
    for entity in contract.ENTITIES:
        con.execute(
            f"create or replace view raw.{entity.name} as select * from wh.raw.{entity.name}"
        )


def build_marts(
    con: duckdb.DuckDBPyConnection, scripts_dir: Path = SCRIPTS_DIR, seeds_dir: Path = SEEDS_DIR
) -> dict[str, float]:
    """Run the shared script, then every mart script into `lower_bound.<mart>`.

    Returns seconds per step (`_shared` and each mart), so the report can say where time goes.
    """
    seconds: dict[str, float] = {}
    t0 = time.perf_counter()
    con.execute((scripts_dir / SHARED_SCRIPT).read_text())
    seconds["_shared"] = time.perf_counter() - t0
    con.execute(f"create schema if not exists {SCHEMA}")
    for mart, path in mart_scripts(scripts_dir).items():
        sql = path.read_text().replace("{seeds_dir}", str(seeds_dir))
        t0 = time.perf_counter()
        con.execute(f"create or replace table {SCHEMA}.{mart} as\n{sql}")
        seconds[mart] = time.perf_counter() - t0
    return seconds
