"""One dbt project, two engines: `shopsight run --engine spark` publishes the marts DuckDB does.

The same simulated deliveries go through two real pipeline runs from an empty warehouse: the
default one (dbt on DuckDB) and `shopsight run --engine spark` as a user starts it (ingestion
and the gates into DuckDB as always, the raw layer exported to the Parquet lake, one `dbt build
--target spark` with its data tests on local Spark through dbt-spark's `session` method, Spark's
marts loaded back from the serving extract it writes, then the unchanged publish step). Each
mart of the two published serving files is compared row by row, matched on the grain its
uniqueness test declares.

Tolerances (shopsight.spark.parity):
- money (decimals) to the cent; every other exact type (strings, dates, instants, integers,
  booleans) exactly;
- rates, shares and statistics (doubles) to 1e-9, relative above 1;
- percentiles also to 1e-9: both engines interpolate linearly between the two nearest ranks
  (DuckDB `quantile_cont`, Spark `percentile`) over the same doubles, so the only difference
  the interpolation can make is floating-point rounding, far below 1e-9.
- `built_at` is left out: it is the build's own start time, different in any two builds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

from orchestration.assets.dbt import dbt_project, ensure_manifest
from shopsight import contract
from shopsight.settings import Settings
from shopsight.spark.parity import Tolerances, compare_builds, mart_keys
from shopsight.spark.paths import spark_paths
from tests.conftest import make_settings

SIM_START = date(2015, 10, 1)
SIM_DAYS = 100
SIM_SCALE = 0.01
SIM_SEED = 7

BUILD_METADATA = frozenset({"built_at"})
TOLERANCES = Tolerances(money=0.005, rate=1e-9, percentile=1e-9)
SHOPSIGHT = str(Path(sys.executable).with_name("shopsight"))

pytestmark = pytest.mark.timeout(1500)


@pytest.fixture(scope="module")
def duckdb_build(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The same deliveries through the real runner: ingest, gates, dbt on DuckDB, publish."""
    from orchestration.runner import run_pipeline
    from shopsight.simulator import simulate

    root = tmp_path_factory.mktemp("parity")
    settings = make_settings(root)
    simulate(settings.landing_dir, SIM_START, SIM_DAYS, SIM_SCALE, SIM_SEED)
    summary = run_pipeline(settings, progress=lambda line: None)
    assert summary.success, f"the DuckDB pipeline run failed: {summary.message}"
    return settings


@pytest.fixture(scope="module")
def spark_run(duckdb_build: Settings) -> tuple[Settings, str]:
    """`shopsight run --engine spark` on the same landing zone, into an empty warehouse."""
    settings = make_settings(duckdb_build.warehouse.parent / "on_spark", duckdb_build.landing_dir)
    env = {
        **os.environ,
        "SHOPSIGHT_SERVING": str(settings.serving),
        "SHOPSIGHT_VALIDATIONS_DIR": str(settings.validations_dir),
    }
    for name in ("SHOPSIGHT_LAKE_DIR", "SHOPSIGHT_SPARK_DIR", "SHOPSIGHT_ENGINE"):
        env.pop(name, None)  # the defaults: beside the warehouse, engine from the flag
    command = [SHOPSIGHT, "run", "--engine", "spark", "--landing", str(settings.landing_dir)]
    done = subprocess.run(
        [*command, "--warehouse", str(settings.warehouse)],
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, f"shopsight run --engine spark failed:\n{output[-6000:]}"
    return settings, output


def _marts(serving: Path) -> set[str]:
    with duckdb.connect(str(serving), read_only=True) as con:
        return {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'marts'"
            ).fetchall()
        }


def test_the_spark_run_publishes_every_mart(
    duckdb_build: Settings, spark_run: tuple[Settings, str]
) -> None:
    settings, output = spark_run
    on_duckdb, on_spark = _marts(duckdb_build.serving), _marts(settings.serving)
    assert on_duckdb, "the DuckDB build published no marts"
    assert on_spark == on_duckdb
    assert "kpi_experiment_results" in on_spark, "the statistics model must run on Spark too"
    assert "[spark] exported" in output, output[-3000:]
    # dbt ran on Spark only: the Spark run's warehouse never held a staging model.
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        found = con.execute("select schema_name from information_schema.schemata").fetchall()
        schemas = {r[0] for r in found}
    assert "staging" not in schemas and "intermediate" not in schemas, schemas


def test_the_lake_holds_every_raw_row(
    duckdb_build: Settings, spark_run: tuple[Settings, str]
) -> None:
    settings, _ = spark_run
    lake = spark_paths(settings.warehouse).lake
    manifest = json.loads((lake / "raw" / "_manifest.json").read_text())
    with duckdb.connect(str(duckdb_build.warehouse), read_only=True) as con:
        exported = {e["entity"]: e["rows"] for e in manifest["entities"]}
        assert set(exported) == {e.name for e in contract.ENTITIES}
        for entity, rows in exported.items():
            count = con.execute(f"select count(*) from raw.{entity}").fetchone()[0]  # type: ignore[index]
            assert rows == count, entity


def test_dbt_tests_pass_on_spark(spark_run: tuple[Settings, str]) -> None:
    """The run's gates include dbt's data tests, executed by Spark; all of them passed."""
    settings, _ = spark_run
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.execute(
            "select passed, count(*) from ops.check_results "
            "where check_name like 'dbt:%' group by 1"
        ).fetchall()
    counts = dict(rows)
    assert counts.get(True, 0) >= 100, counts
    assert not counts.get(False), counts


def test_marts_match_the_duckdb_build_row_by_row(
    duckdb_build: Settings, spark_run: tuple[Settings, str]
) -> None:
    settings, _ = spark_run
    keys = mart_keys(ensure_manifest(dbt_project()))
    with duckdb.connect() as con:
        con.execute("set TimeZone = 'UTC'")
        con.execute(f"attach '{duckdb_build.serving}' as duck (read_only)")
        con.execute(f"attach '{settings.serving}' as spark (read_only)")
        left = {m: f"duck.marts.{m}" for m in keys}
        right = {m: f"spark.marts.{m}" for m in keys}
        diffs = compare_builds(left, right, keys, con, TOLERANCES, ignore=BUILD_METADATA)
    report = "\n".join(d.describe() for d in diffs if not d.ok)
    assert not report, f"Spark's marts differ from DuckDB's:\n{report}"
    # Not a comparison of empty tables: every KPI mart has rows in both builds.
    empty = [d.mart for d in diffs if d.mart.startswith("kpi_") and d.left_rows == 0]
    assert not empty, f"KPI marts without rows: {empty}"
    keyed = [d.mart for d in diffs if d.key and d.mart.startswith("kpi_")]
    assert keyed, "no KPI mart was matched on a declared grain"


def test_instants_survive_the_round_trip(spark_run: tuple[Settings, str]) -> None:
    settings, _ = spark_run
    with duckdb.connect(str(settings.serving), read_only=True) as con:
        types = dict(
            con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'marts' and table_name = 'fct_orders'"
            ).fetchall()
        )
        rows = con.execute("select count(*) from marts.fct_orders").fetchone()[0]  # type: ignore[index]
    assert types["order_ts"] == "TIMESTAMP WITH TIME ZONE"
    assert types["order_date"] == "DATE"
    assert rows > 0
