"""Where a local Spark keeps its files, and the environment a dbt process needs to find them.

dbt-spark's `session` method runs Spark inside the dbt process. The profile's
`server_side_parameters` read these directories from the environment, so the Python side sets
`SHOPSIGHT_SPARK_DIR` and `SHOPSIGHT_LAKE_DIR` once and a bare `dbt build --target spark` run by
hand with the same variables finds the same metastore and lake.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from shopsight.lake import lake_dir

SERVING_EXTRACT = "serving"  # <lake>/serving/<mart>/*.parquet, written by a successful Spark run


@dataclass(frozen=True)
class SparkPaths:
    """The folders of one local Spark deployment."""

    spark_dir: Path  # warehouse/, metastore_db/, tmp/, derby.log, dbt's target and logs
    lake: Path  # the Parquet lake: raw/ (input) and serving/ (the published extract)

    @property
    def warehouse_dir(self) -> Path:
        """Spark's managed tables: `<schema>.db/<table>/part-*.parquet`."""
        return self.spark_dir / "warehouse"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's target folder for Spark runs, apart from the DuckDB runs' `target/`."""
        return self.spark_dir / "dbt-target"

    @property
    def dbt_log_dir(self) -> Path:
        return self.spark_dir / "dbt-logs"

    @property
    def serving_extract(self) -> Path:
        return self.lake / SERVING_EXTRACT

    def environment(self) -> dict[str, str]:
        """Variables the `spark` target of `profiles.yml` and the lake macros read."""
        return {
            "SHOPSIGHT_SPARK_DIR": str(self.spark_dir),
            "SHOPSIGHT_LAKE_DIR": str(self.lake),
        }


def spark_paths(warehouse: Path) -> SparkPaths:
    """`SHOPSIGHT_SPARK_DIR` (default `spark/` beside the warehouse file) and the lake."""
    value = os.environ.get("SHOPSIGHT_SPARK_DIR")
    spark_dir = Path(value).expanduser().resolve() if value else Path(warehouse).parent / "spark"
    return SparkPaths(spark_dir=spark_dir, lake=lake_dir(warehouse))
