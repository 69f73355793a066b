"""The marts of the shared pipeline run against what the simulator planted (truth.json).

The warehouse is the one `published_serving` built through the real pipeline (Dagster run:
ingest, gates, `dbt build` with every data test, publish) from two simulated years. Sales,
omnichannel, lifecycle and experiment counts must equal the truth exactly; shares must land
on the planted values within the stated tolerance.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import duckdb
import pytest

from shopsight.settings import Settings
from tests.dbt_support import SPEC_MARTS


@pytest.fixture(scope="module")
def marts(published_serving: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    """The published marts (the serving snapshot the dashboard reads), read-only."""
    con = duckdb.connect(str(published_serving.serving), read_only=True)
    yield con
    con.close()


# Truth rounds minutes to 4 decimals and shares to 6.
ROUNDED = {
    "ship_minutes_p50": 1e-4,
    "ship_minutes_p90": 1e-4,
    "shipped_within_1h_share": 1e-6,
    "on_time_delivery_rate": 1e-6,
}


def _rows(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[dict[str, Any]]:
    cur = con.execute(sql, list(params))
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def test_every_spec_mart_is_published_with_its_columns(marts: duckdb.DuckDBPyConnection) -> None:
    for table, columns in SPEC_MARTS.items():
        have = {
            r[0]
            for r in marts.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'marts' and table_name = ?",
                [table],
            ).fetchall()
        }
        assert set(columns) <= have, f"{table} lacks {sorted(set(columns) - have)}"
        assert marts.execute(f"select count(*) from marts.{table}").fetchone()[0] > 0, table


def test_daily_sales_equal_truth(marts: duckdb.DuckDBPyConnection, truth: dict[str, Any]) -> None:
    overview = {
        r["date"].isoformat(): r
        for r in _rows(marts, "select date, gmv, net_sales, orders from marts.kpi_overview_daily")
    }
    by_group = {
        r["date"].isoformat(): r
        for r in _rows(
            marts,
            "select date, sum(gmv) as gmv, sum(orders) as orders from marts.kpi_sales_daily "
            "group by date",
        )
    }
    assert set(overview) == set(truth["daily"])
    for day, t in truth["daily"].items():
        o = overview[day]
        assert (float(o["gmv"]), float(o["net_sales"]), o["orders"]) == pytest.approx(
            (t["gmv"], t["net_sales"], t["counted_orders"]), abs=0.005
        ), day
        if t["counted_orders"]:
            assert float(by_group[day]["gmv"]) == pytest.approx(t["gmv"], abs=0.005), day
            assert by_group[day]["orders"] == t["counted_orders"], day


@pytest.mark.parametrize("day", ["2015-11-11", "2016-11-11"])
def test_double_11_wireless_share(
    marts: duckdb.DuckDBPyConnection, truth: dict[str, Any], day: str
) -> None:
    t = truth["daily"][day]
    (share,) = marts.execute(
        "select mobile_gmv_share from marts.kpi_overview_daily where date = ?",
        [date.fromisoformat(day)],
    ).fetchone()
    assert abs(share - t["planted_wireless_share"]) <= 0.01
    assert share == pytest.approx(t["wireless_gmv_share"], abs=1e-6)
    # The brand-level mart rolls up to the same share when numerators and denominators are summed.
    (rolled,) = marts.execute(
        "select sum(wireless_gmv) / sum(online_gmv) from marts.kpi_mobile_share_daily "
        "where date = ?",
        [date.fromisoformat(day)],
    ).fetchone()
    assert float(rolled) == pytest.approx(share, rel=1e-12)


def test_omnichannel_equals_truth(marts: duckdb.DuckDBPyConnection, truth: dict[str, Any]) -> None:
    got = {
        r["date"].isoformat(): r for r in _rows(marts, "select * from marts.kpi_omnichannel_daily")
    }
    expected = truth["omnichannel"]["daily"]
    assert set(got) == set(expected)
    exact = ("online_orders", "store_fulfilled_orders", "pickup_orders", "in_store_orders",
             "delivered_orders")  # fmt: skip
    for day, t in expected.items():
        g = got[day]
        for col in exact:
            assert g[col] == t[col], (day, col)
        for col, tol in ROUNDED.items():
            if t[col] is None:
                assert g[col] is None, (day, col)
            else:
                assert g[col] == pytest.approx(t[col], abs=tol), (day, col)
        if t["online_orders"]:
            assert g["pickup_share"] == pytest.approx(t["pickup_orders"] / t["online_orders"])


def test_lifecycle_equals_truth(marts: duckdb.DuckDBPyConnection, truth: dict[str, Any]) -> None:
    got: dict[str, dict[str, Any]] = {}
    for r in _rows(marts, "select * from marts.kpi_customer_lifecycle_monthly"):
        month = got.setdefault(r["month"].strftime("%Y-%m"), {})
        month[r["state"]] = r["buyers"]
        month["repeat_purchase_rate"] = r["repeat_purchase_rate"]
    assert set(got) == set(truth["lifecycle"])
    for month, t in truth["lifecycle"].items():
        for state in ("new", "retained", "reactivated", "lapsing", "dormant"):
            assert got[month][state] == t[state], (month, state)
        assert got[month]["repeat_purchase_rate"] == pytest.approx(
            t["repeat_purchase_rate"], abs=1e-6
        )
    # Every state is reached somewhere, so the window edges are exercised.
    for state in ("new", "retained", "reactivated", "lapsing", "dormant"):
        assert sum(m[state] for m in got.values()) > 0, state


def test_content_product_uv_more_than_doubles(
    marts: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    years = {
        r["period_start"].year: r
        for r in _rows(
            marts, "select * from marts.kpi_content_uv_growth where period_type = 'year'"
        )
    }
    for year, t in truth["content"]["yearly"].items():
        assert years[int(year)]["content_uv"] == t["content_uv"]
        assert years[int(year)]["content_product_uv"] == t["content_product_uv"]
    assert years[2016]["product_uv_growth"] > 1.0
    assert years[2016]["yoy_content_product_uv"] == years[2015]["content_product_uv"]


def test_experiment_cells_equal_truth(
    marts: duckdb.DuckDBPyConnection, truth: dict[str, Any]
) -> None:
    rows = _rows(marts, "select * from marts.kpi_experiment_results")
    assert {r["experiment_id"] for r in rows} == set(truth["experiments"])
    for r in rows:
        e = truth["experiments"][r["experiment_id"]]
        realized = e["realized"][r["variant"]][r["segment"]]
        assert (r["visitors"], r["converters"]) == (realized["visitors"], realized["converters"])
        assert r["is_control"] == (r["variant"] == e["control"])
        assert r["planned_weight"] == pytest.approx(e["allocation"][r["variant"]])
        if r["segment"] == "all":
            assert r["srm_flag"] is False  # the simulator assigns by the planned allocation


def test_festival_days_are_marked(marts: duckdb.DuckDBPyConnection, truth: dict[str, Any]) -> None:
    codes = dict(marts.execute("select date, festival_code from marts.dim_date").fetchall())
    overview = dict(marts.execute("select date, festival from marts.kpi_overview_daily").fetchall())
    for f in truth["festivals"]:
        day = date.fromisoformat(f["date"])
        assert codes[day] == f["festival"], day
        assert overview[day], day
    assert overview[date(2015, 11, 11)].startswith("Double 11")
