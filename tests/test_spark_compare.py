"""The mart comparison that the Spark parity test relies on: it must see every kind of drift.

If the comparator were blind to a difference, the parity test would pass for the wrong reason,
so each rule is shown catching the drift it is for and letting through what is within its
tolerance.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from shopsight.spark.parity import Tolerances, compare_builds, compare_mart, mart_keys

BASE = """
    select
        date::date as date, terminal_group, gmv::decimal(18,2) as gmv,
        gmv_share::double as gmv_share, orders::bigint as orders,
        ship_minutes_p50::double as ship_minutes_p50
    from (values
        ('2015-10-01', 'pc', 100.00, 0.25, 3, 12.5),
        ('2015-10-01', 'wireless', 250.10, 0.75, 9, 40.0),
        ('2015-10-02', 'pc', 80.00, 1.0, 2, null)
    ) t(date, terminal_group, gmv, gmv_share, orders, ship_minutes_p50)
"""
KEY = ("date", "terminal_group")


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(f"create table a as {BASE}")
    return con


def _variant(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    con.execute(f"create or replace table b as {BASE}")
    if sql:
        con.execute(sql)
    return "b"


def test_identical_builds_pass(con: duckdb.DuckDBPyConnection) -> None:
    diff = compare_mart(con, "m", "a", _variant(con, ""), KEY)
    assert diff.ok, diff.describe()
    assert diff.left_rows == diff.right_rows == 3


def test_money_is_compared_to_the_cent(con: duckdb.DuckDBPyConnection) -> None:
    off_by_a_cent = compare_mart(con, "m", "a", _variant(con, "update b set gmv = gmv + 0.01"), KEY)
    assert off_by_a_cent.values == {"gmv": 3}
    # A double that lands a hair off the cent (Spark summing as double, say) is still equal.
    con.execute("create or replace table c as select * replace (gmv::double + 1e-9 as gmv) from a")
    assert compare_mart(con, "m", "a", "c", KEY).values == {}


def test_rates_are_compared_to_1e9(con: duckdb.DuckDBPyConnection) -> None:
    near = _variant(con, "update b set gmv_share = gmv_share + 1e-12")
    assert compare_mart(con, "m", "a", near, KEY).ok
    far = _variant(con, "update b set gmv_share = gmv_share + 1e-7 where terminal_group = 'pc'")
    diff = compare_mart(con, "m", "a", far, KEY)
    assert diff.values == {"gmv_share": 2}
    assert any("gmv_share" in e for e in diff.examples)


def test_percentiles_have_their_own_tolerance(con: duckdb.DuckDBPyConnection) -> None:
    shifted = _variant(con, "update b set ship_minutes_p50 = ship_minutes_p50 + 0.001")
    assert compare_mart(con, "m", "a", shifted, KEY).values == {"ship_minutes_p50": 2}
    loose = Tolerances(percentile=1e-3)
    assert compare_mart(con, "m", "a", shifted, KEY, loose).ok


def test_null_against_value_and_exact_columns(con: duckdb.DuckDBPyConnection) -> None:
    diff = compare_mart(
        con,
        "m",
        "a",
        _variant(con, "update b set ship_minutes_p50 = 1.0, orders = orders + 1 where orders = 2"),
        KEY,
    )
    assert diff.values == {"ship_minutes_p50": 1, "orders": 1}


def test_missing_and_extra_keys(con: duckdb.DuckDBPyConnection) -> None:
    b = _variant(
        con,
        "delete from b where terminal_group = 'wireless';"
        "insert into b values (date '2015-10-03', 'offline', 1, 1, 1, 1)",
    )
    diff = compare_mart(con, "m", "a", b, KEY)
    assert (diff.only_left, diff.only_right) == (1, 1)
    assert not diff.ok


def test_schema_drift_is_a_difference(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create or replace table c as select * replace (gmv::double as gmv) from a")
    con.execute("alter table c add column extra integer")
    diff = compare_mart(con, "m", "a", "c", KEY)
    assert "column extra only in the second build" in diff.schema
    assert any(s.startswith("column gmv: DECIMAL") for s in diff.schema)


def test_without_a_declared_grain_exact_columns_are_the_key(
    con: duckdb.DuckDBPyConnection,
) -> None:
    same = compare_mart(con, "m", "a", _variant(con, "update b set gmv_share = gmv_share"), ())
    assert same.ok and "terminal_group" in same.key
    drift = compare_mart(con, "m", "a", _variant(con, "update b set gmv_share = 0.5"), ())
    assert drift.values == {"gmv_share": 3}


def test_keys_come_from_the_uniqueness_tests(tmp_path: Path) -> None:
    def test_node(model: str, name: str, kwargs: dict[str, object]) -> dict[str, object]:
        return {
            "resource_type": "test",
            "attached_node": f"model.p.{model}",
            "test_metadata": {"name": name, "kwargs": kwargs},
        }

    def model_node(name: str, schema: str) -> dict[str, object]:
        return {"resource_type": "model", "name": name, "alias": name, "schema": schema}

    manifest = {
        "nodes": {
            "model.p.kpi_a": model_node("kpi_a", "marts"),
            "model.p.dim_b": model_node("dim_b", "marts"),
            "model.p.stg_c": model_node("stg_c", "staging"),
            "model.p.kpi_d": model_node("kpi_d", "marts"),
            "test.p.1": test_node("kpi_a", "unique_combination", {"columns": ["date", "x"]}),
            "test.p.2": test_node("dim_b", "unique", {"column_name": "b_id"}),
            "test.p.3": test_node("stg_c", "unique", {"column_name": "c_id"}),
            "test.p.4": test_node("kpi_a", "not_null", {"column_name": "date"}),
        }
    }
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest))
    assert mart_keys(path) == {"kpi_a": ("date", "x"), "dim_b": ("b_id",), "kpi_d": ()}


def test_a_mart_missing_from_one_build_is_reported(con: duckdb.DuckDBPyConnection) -> None:
    diffs = compare_builds({"m": "a"}, {}, {"m": KEY}, con)
    assert not diffs[0].ok and "missing from the second build" in diffs[0].schema[0]


def test_ignored_columns_are_left_out(con: duckdb.DuckDBPyConnection) -> None:
    b = _variant(con, "update b set orders = orders + 1")
    assert compare_mart(con, "m", "a", b, KEY).values == {"orders": 3}
    assert compare_mart(con, "m", "a", b, KEY, ignore=frozenset({"orders"})).ok
