"""The serving extract of a Spark build: `<lake>/serving/<mart>/*.parquet`, loaded into DuckDB.

The dashboard only ever reads a DuckDB serving file. When the marts are built on Spark, the
build's on-run-end hook (`write_serving_extract`, macros/cross_db/spark.sql) writes every mart
as Parquet after a build in which nothing failed; this module turns such an extract into
DuckDB tables, so the publish step can copy them into the serving file like DuckDB-built marts.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from shopsight.spark.build import NodeTiming


class ServingExtractError(RuntimeError):
    """The extract is missing, incomplete, or from a failed build."""


def extract_dir(extract: Path, mart: str) -> Path:
    return extract / mart


def read_mart_sql(extract: Path, mart: str) -> str:
    """A DuckDB `read_parquet(...)` over one mart of the extract."""
    return f"read_parquet('{extract_dir(extract, mart) / '*.parquet'}')"


def built_marts(nodes: Iterable[NodeTiming]) -> list[str]:
    """The marts (schema `marts`) a build created, from its nodes as dbt reported them: the
    extract's expected content. Seeds count: they are tables in `marts` as well."""
    return [
        node.name
        for node in nodes
        if node.resource_type in {"model", "seed"}
        and node.schema == "marts"
        and node.status == "success"
        and node.name
    ]


def check_extract(extract: Path, marts: list[str]) -> None:
    """Raise unless every mart has a completed folder (Spark's `_SUCCESS`) in the extract."""
    missing = [m for m in marts if not (extract_dir(extract, m) / "_SUCCESS").exists()]
    if missing:
        raise ServingExtractError(
            f"the serving extract {extract} lacks {len(missing)} mart(s) "
            f"({', '.join(missing[:5])}{'...' if len(missing) > 5 else ''}): "
            "the Spark build failed or did not write it"
        )


def load_marts(
    con: duckdb.DuckDBPyConnection, extract: Path, marts: list[str], schema: str = "marts"
) -> dict[str, int]:
    """(Re)create `<schema>.<mart>` in `con` from the extract; returns rows per mart.

    Spark writes timestamps as UTC-adjusted Parquet timestamps (the profile sets
    `spark.sql.parquet.outputTimestampType`), which DuckDB reads as TIMESTAMPTZ, so instants
    survive the round trip.
    """
    check_extract(extract, marts)
    con.execute(f"create schema if not exists {schema}")
    rows: dict[str, int] = {}
    for mart in marts:
        con.execute(
            f"create or replace table {schema}.{mart} as select * from "
            f"{read_mart_sql(extract, mart)}"
        )
        rows[mart] = int(con.execute(f"select count(*) from {schema}.{mart}").fetchone()[0])  # type: ignore[index]
    return rows
