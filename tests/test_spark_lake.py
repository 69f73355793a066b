"""The Parquet lake hand-off: a raw layer loaded by the real ingestion, exported, read back.

DuckDB reads the lake back here; Spark reads it in `test_spark_parity.py` (one JVM for the whole
build). What must hold: every row and value survives, the folders are Hive partitions by
delivery date, instants stay instants, and a re-export replaces what was there.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from shopsight import contract
from shopsight import warehouse as wh
from shopsight.ingest import ingest
from shopsight.lake import (
    MANIFEST_NAME,
    PARTITION_COLUMN,
    LakeExportError,
    entity_dir,
    export_raw,
    read_entity_sql,
)
from tests.landing_factory import write_world

FIRST = date(2015, 10, 1)
DAYS = 3


@pytest.fixture(scope="module")
def loaded_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse whose raw layer the real ingestion loaded from three hand-made days."""
    root = tmp_path_factory.mktemp("lake_wh")
    landing = root / "landing"
    for i in range(DAYS):
        write_world(landing, FIRST + timedelta(days=i))
    warehouse = root / "warehouse.duckdb"
    ingest(warehouse, landing, "lake-test")
    return warehouse


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple[object, ...]]:
    return sorted(con.execute(sql).fetchall(), key=repr)


def test_every_entity_round_trips_exactly(loaded_warehouse: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    export = export_raw(loaded_warehouse, lake)
    assert {e.entity for e in export.entities} == {e.name for e in contract.ENTITIES}
    with wh.connect(loaded_warehouse, read_only=True) as con:
        for e in contract.ENTITIES:
            columns = [r[0] for r in con.execute(f"describe raw.{e.name}").fetchall()]
            cols = ", ".join(f'"{c}"' for c in columns)
            original = _rows(con, f"select {cols} from raw.{e.name}")
            assert original, f"the hand-made world should have {e.name} rows"
            back = _rows(con, f"select {cols} from {read_entity_sql(lake, e.name)}")
            assert back == original, e.name
            assert export.by_entity()[e.name].rows == len(original)


def test_lake_types_keep_instants_money_and_arrays(loaded_warehouse: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    export_raw(loaded_warehouse, lake, ["orders", "content_items", "ad_spend"])
    with wh.connect(loaded_warehouse, read_only=True) as con:
        orders, items, spend = (
            {
                r[0]: r[1]
                for r in con.execute(
                    f"describe select * from {read_entity_sql(lake, name)}"
                ).fetchall()
            }
            for name in ("orders", "content_items", "ad_spend")
        )
    assert orders["order_ts"] == "TIMESTAMP WITH TIME ZONE"
    assert orders["_loaded_at"] == "TIMESTAMP WITH TIME ZONE"
    assert orders["order_amount"] == "DECIMAL(18,2)"
    assert orders[PARTITION_COLUMN] == "DATE"
    assert items["sku_ids"] == "VARCHAR[]"
    # ad_spend's own `dt` (the spend day) is a data column, kept apart from the delivery date.
    assert spend["dt"] == "DATE" and spend[PARTITION_COLUMN] == "DATE"


def test_folders_are_hive_partitions_by_delivery_date(
    loaded_warehouse: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    export = export_raw(loaded_warehouse, lake, ["orders"])
    folders = sorted(p.name for p in entity_dir(lake, "orders").iterdir())
    expected = [f"{PARTITION_COLUMN}={FIRST + timedelta(days=i)}" for i in range(DAYS)]
    assert folders == expected
    assert export.entities[0].partitions == DAYS
    for folder in entity_dir(lake, "orders").iterdir():
        files = list(folder.glob("*.parquet"))
        assert files, f"{folder} holds no Parquet file"
        # A partition holds only its own delivery date's rows.
        dt = folder.name.split("=", 1)[1]
        with duckdb.connect() as con:
            dts = con.execute(
                f"select distinct {PARTITION_COLUMN}::varchar from "
                f"read_parquet('{folder}/*.parquet', hive_partitioning = true)"
            ).fetchall()
        assert dts == [(dt,)]
    assert (lake / "raw" / MANIFEST_NAME).exists()


def test_reexport_replaces_the_entity_and_leaves_no_temporary_folders(
    loaded_warehouse: Path, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    export_raw(loaded_warehouse, lake, ["orders"])
    stale = entity_dir(lake, "orders") / f"{PARTITION_COLUMN}=2001-01-01"
    stale.mkdir()
    (stale / "data_0.parquet").write_bytes(b"not parquet")
    export_raw(loaded_warehouse, lake, ["orders"])
    assert not stale.exists()
    assert sorted(p.name for p in (lake / "raw").iterdir()) == [MANIFEST_NAME, "orders"]


def test_empty_entity_gets_an_empty_folder(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with wh.connect(warehouse) as con:
        con.execute("create schema raw")
        con.execute(contract.raw_table_ddl(contract.entity("experiments")))
    export = export_raw(warehouse, tmp_path / "lake", ["experiments"])
    assert export.entities[0].rows == 0
    folder = entity_dir(tmp_path / "lake", "experiments")
    assert folder.is_dir() and not any(folder.iterdir())


def test_naive_timestamps_are_refused(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with wh.connect(warehouse) as con:
        con.execute("create schema raw")
        con.execute("create table raw.orders (order_id varchar, order_ts timestamp, _dt date)")
        con.execute("insert into raw.orders values ('o1', '2015-10-01 10:00', '2015-10-01')")
    with pytest.raises(LakeExportError, match="naive TIMESTAMP"):
        export_raw(warehouse, tmp_path / "lake", ["orders"])


def test_missing_table_and_unknown_entity_are_errors(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    with wh.connect(warehouse) as con:
        con.execute("create schema raw")
    with pytest.raises(LakeExportError, match=r"no table raw\.orders"):
        export_raw(warehouse, tmp_path / "lake", ["orders"])
    with pytest.raises(KeyError, match="unknown landing entity"):
        export_raw(warehouse, tmp_path / "lake", ["no_such_entity"])
