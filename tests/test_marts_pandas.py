"""Three marts recomputed from the raw tables with plain pandas, independently of the SQL.

The raw tables are those the shared pipeline loaded; the definitions are re-implemented here
from the KPI catalogue (latest version of an order, counted statuses, Shanghai business date,
person resolution, continuous percentiles), without reading any dbt model. Every row of
`kpi_mobile_share_daily`, `kpi_omnichannel_daily` and `kpi_content_daily` must agree.
"""

from __future__ import annotations

from collections.abc import Iterator

import duckdb
import numpy as np
import pandas as pd
import pytest

from shopsight.settings import Settings

TZ = "Asia/Shanghai"
WIRELESS = {"mobile_app", "mobile_web", "mini_program"}


@pytest.fixture(scope="module")
def warehouse(published_serving: Settings) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(published_serving.warehouse), read_only=True)
    con.execute("set TimeZone = 'UTC'")
    yield con
    con.close()


def _frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def _latest(df: pd.DataFrame, key: list[str], order: list[str]) -> pd.DataFrame:
    """The last row per key after sorting by `order` ascending."""
    return df.sort_values(key + order).groupby(key, as_index=False).tail(1)


def _business_date(ts: pd.Series) -> pd.Series:
    return pd.to_datetime(ts, utc=True).dt.tz_convert(TZ).dt.date


@pytest.fixture(scope="module")
def counted(warehouse: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    orders = _frame(warehouse, "select * from raw.orders")
    latest = _latest(orders, ["order_id"], ["updated_at", "_dt", "_row_number"])
    out = latest[latest.status.isin(["paid", "refunded"])].copy()
    out["day"] = _business_date(out.order_ts)
    out["amount"] = out.order_amount.astype(float)
    return out


def _compare(expected: pd.DataFrame, mart: pd.DataFrame, keys: list[str]) -> None:
    assert len(expected) > 0
    merged = expected.merge(mart, on=keys, how="outer", suffixes=("_pd", "_sql"), indicator=True)
    unmatched = merged[merged["_merge"] != "both"]
    assert unmatched.empty, f"rows in only one side:\n{unmatched.head(10)}"
    for col in [c for c in expected.columns if c not in keys]:
        a = merged[f"{col}_pd"].astype(float).to_numpy()
        b = merged[f"{col}_sql"].astype(float).to_numpy()
        assert np.array_equal(np.isnan(a), np.isnan(b)), f"{col}: null in one side only"
        ok = ~np.isnan(a)
        assert np.allclose(a[ok], b[ok], rtol=1e-9, atol=1e-6), col


def test_mobile_share_daily(warehouse: duckdb.DuckDBPyConnection, counted: pd.DataFrame) -> None:
    online = counted[counted.terminal != "offline_pos"].copy()
    wireless = online.terminal.isin(WIRELESS)
    online["wireless_amount"] = online.amount.where(wireless, 0.0)
    online["pc_amount"] = online.amount.where(~wireless, 0.0)
    online["is_wireless"] = wireless.astype(int)
    online["wireless_buyer"] = online.buyer_id.where(wireless)
    expected = (
        online.groupby(["day", "brand_id"])
        .agg(
            online_gmv=("amount", "sum"),
            wireless_gmv=("wireless_amount", "sum"),
            pc_gmv=("pc_amount", "sum"),
            online_orders=("order_id", "count"),
            wireless_orders=("is_wireless", "sum"),
            online_buyers=("buyer_id", "nunique"),
            wireless_buyers=("wireless_buyer", "nunique"),
        )
        .reset_index()
        .rename(columns={"day": "date"})
    )
    expected["mobile_gmv_share"] = expected.wireless_gmv / expected.online_gmv
    expected["mobile_order_share"] = expected.wireless_orders / expected.online_orders
    expected["mobile_buyer_share"] = expected.wireless_buyers / expected.online_buyers
    mart = _frame(warehouse, "select * from marts.kpi_mobile_share_daily")
    mart["date"] = pd.to_datetime(mart["date"]).dt.date
    _compare(expected, mart[list(expected.columns)], ["date", "brand_id"])


def test_omnichannel_daily(warehouse: duckdb.DuckDBPyConnection, counted: pd.DataFrame) -> None:
    ships = _latest(
        _frame(warehouse, "select * from raw.shipments"),
        ["order_id"],
        ["updated_at", "_dt", "_row_number"],
    )
    orders = counted.merge(
        ships[["order_id", "shipped_ts", "promised_delivery_ts", "delivered_ts"]],
        on="order_id",
        how="left",
    )
    orders["minutes"] = (orders.shipped_ts - orders.order_ts).dt.total_seconds() / 60.0
    rows = []
    for day, g in orders.groupby("day"):
        online = g[g.terminal != "offline_pos"]
        shipped = g[g.shipped_ts.notna()]
        delivered = g[g.delivered_ts.notna()]
        on_time = delivered[delivered.delivered_ts <= delivered.promised_delivery_ts]
        rows.append({
            "date": day,
            "online_orders": len(online),
            "store_fulfilled_orders": online.fulfilment.isin(["store_ship", "store_pickup"]).sum(),
            "pickup_orders": (online.fulfilment == "store_pickup").sum(),
            "in_store_orders": (g.fulfilment == "in_store").sum(),
            "offline_gmv": g[g.terminal == "offline_pos"].amount.sum(),
            "ship_minutes_p50": np.percentile(shipped.minutes, 50) if len(shipped) else np.nan,
            "ship_minutes_p90": np.percentile(shipped.minutes, 90) if len(shipped) else np.nan,
            "shipped_within_1h_share":
                (shipped.minutes <= 60).mean() if len(shipped) else np.nan,
            "delivered_orders": len(delivered),
            "on_time_delivery_rate": len(on_time) / len(delivered) if len(delivered) else np.nan,
        })  # fmt: skip
    expected = pd.DataFrame(rows)
    mart = _frame(warehouse, "select * from marts.kpi_omnichannel_daily")
    mart["date"] = pd.to_datetime(mart["date"]).dt.date
    _compare(expected, mart[list(expected.columns)], ["date"])


def test_content_daily(warehouse: duckdb.DuckDBPyConnection) -> None:
    events = _frame(warehouse, "select * from raw.content_events")
    events = events.sort_values(["_dt", "_row_number"]).drop_duplicates("event_id")
    links = _latest(
        _frame(warehouse, "select * from raw.identity_links"),
        ["platform", "platform_user_id"],
        ["linked_at", "_dt", "_row_number"],
    )[["platform", "platform_user_id", "buyer_id"]]
    items = _latest(
        _frame(
            warehouse, "select content_id, content_type, _dt, _row_number from raw.content_items"
        ),
        ["content_id"],
        ["_dt", "_row_number"],
    )[["content_id", "content_type"]]
    events = events.merge(links, on=["platform", "platform_user_id"], how="left").merge(
        items, on="content_id", how="left"
    )
    events["person"] = events.buyer_id.fillna(events.platform + ":" + events.platform_user_id)
    events["day"] = _business_date(events.event_ts)
    is_view = events.event_type == "view"
    events["viewer"] = events.person.where(is_view)
    events["clicker"] = events.person.where(events.event_type == "product_click")
    events["is_view"] = is_view.astype(int)
    events["view_dwell"] = events.dwell_seconds.where(is_view)
    expected = (
        events.groupby(["day", "platform", "content_type"])
        .agg(
            content_uv=("viewer", "nunique"),
            views=("is_view", "sum"),
            product_clickers=("clicker", "nunique"),
            avg_dwell_seconds=("view_dwell", "mean"),
        )
        .reset_index()
        .rename(columns={"day": "date"})
    )
    expected["click_through_rate"] = expected.product_clickers / expected.content_uv.where(
        expected.content_uv > 0
    )
    mart = _frame(warehouse, "select * from marts.kpi_content_daily")
    mart["date"] = pd.to_datetime(mart["date"]).dt.date
    _compare(expected, mart[list(expected.columns)], ["date", "platform", "content_type"])
