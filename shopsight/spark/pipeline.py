"""The engine switch of a pipeline run: what changes around `dbt build` when Spark builds marts.

`shopsight run --engine spark` (and Dagster, from `SHOPSIGHT_ENGINE`) runs ingestion and the
gates into DuckDB as always, then:

1. `prepare_spark_dbt`: exports the raw layer to the Parquet lake and points the dbt process at
   the lake and Spark's folders; returns the extra dbt arguments (`--target spark`);
2. dbt builds on Spark (the caller's one invocation, e.g. through dagster-dbt);
3. `import_spark_marts`: after a clean build, loads the serving extract Spark wrote into the
   warehouse's `marts` schema, so the publish step copies it into the serving file unchanged.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from shopsight import warehouse as wh
from shopsight.lake import export_raw
from shopsight.spark.build import read_run_results
from shopsight.spark.paths import SparkPaths, spark_paths
from shopsight.spark.serving import built_marts, load_marts

ENGINE_ENV = "SHOPSIGHT_ENGINE"
ENGINES = ("duckdb", "spark")


def engine_from_env() -> str:
    """`SHOPSIGHT_ENGINE` (default `duckdb`); anything else is a configuration error."""
    engine = os.environ.get(ENGINE_ENV, "duckdb").strip().lower() or "duckdb"
    if engine not in ENGINES:
        raise ValueError(f"{ENGINE_ENV}={engine!r}: the engine must be one of {ENGINES}")
    return engine


def prepare_spark_dbt(
    warehouse: Path, progress: Callable[[str], None] = print
) -> tuple[list[str], SparkPaths]:
    """Export the lake and set the environment dbt's `spark` target reads; returns the dbt
    arguments for the Spark build and the folders. The caller holds the warehouse lock."""
    paths = spark_paths(warehouse)
    paths.spark_dir.mkdir(parents=True, exist_ok=True)
    export = export_raw(warehouse, paths.lake)
    progress(
        f"[spark] exported {export.rows:,} raw rows to {paths.lake / 'raw'} "
        f"in {export.seconds:.1f} s"
    )
    os.environ.update(paths.environment())
    return ["--target", "spark"], paths


def import_spark_marts(warehouse: Path, paths: SparkPaths, dbt_target_dir: Path) -> dict[str, int]:
    """Load the marts the Spark build (run_results in `dbt_target_dir`) created from the serving
    extract into the warehouse's `marts` schema; returns rows per mart."""
    marts = built_marts(read_run_results(Path(dbt_target_dir)))
    with wh.writer_lock(warehouse, wait_seconds=600.0), wh.connect(warehouse) as con:
        return load_marts(con, paths.serving_extract, marts)
