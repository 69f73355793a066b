"""What the dashboard should show, computed straight from the serving file by the tests.

Written independently of `apps/queries.py` (plain SQL over the marts, the KPI definitions'
own arithmetic), so a wrong query in the app shows up as a mismatch instead of being copied.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb


def rows(serving: Path, sql: str, params: list[Any] | None = None) -> list[tuple[Any, ...]]:
    # A private in-memory database that attaches the file: a plain connect() by path would be
    # served from DuckDB's per-process instance cache, i.e. possibly an older replaced file.
    con = duckdb.connect()
    try:
        con.execute(f"attach '{serving}' as s (read_only)")
        con.execute("use s")
        return con.execute(sql, params or []).fetchall()
    finally:
        con.close()


def one(serving: Path, sql: str, params: list[Any] | None = None) -> Any:
    return rows(serving, sql, params)[0][0]


def last_date(serving: Path) -> date:
    return one(serving, "select max(date) from marts.kpi_overview_daily")


def last_30_days(serving: Path) -> tuple[date, date]:
    end = last_date(serving)
    return end - timedelta(days=29), end


@dataclass(frozen=True)
class OverviewNumbers:
    gmv: float
    orders: int
    buyers: int
    conversion_rate: float
    mobile_gmv_share: float


def overview(serving: Path, start: date, end: date) -> OverviewNumbers:
    gmv, orders, conv, visitors = rows(
        serving,
        "select sum(gmv)::double, sum(orders), sum(converting_visitors), sum(visitors) "
        "from marts.kpi_overview_daily where date >= ? and date <= ?",
        [start, end],
    )[0]
    buyers = one(
        serving,
        "select count(distinct buyer_id) from marts.fct_orders "
        "where status in ('paid', 'refunded') and order_date >= ? and order_date <= ?",
        [start, end],
    )
    wireless, pc = rows(
        serving,
        "select sum(case when terminal_group = 'wireless' then gmv end)::double, "
        "sum(case when terminal_group = 'pc' then gmv end)::double "
        "from marts.kpi_sales_daily where date >= ? and date <= ?",
        [start, end],
    )[0]
    return OverviewNumbers(
        gmv=gmv,
        orders=int(orders),
        buyers=int(buyers),
        conversion_rate=conv / visitors,
        mobile_gmv_share=wireless / (wireless + pc),
    )


def brands(serving: Path) -> list[tuple[str, str]]:
    """(brand_id, brand_name) ordered by id."""
    return [
        (r[0], r[1])
        for r in rows(serving, "select brand_id, brand_name from marts.dim_brands order by 1")
    ]


@dataclass(frozen=True)
class BrandNumbers:
    online_gmv: float
    wireless_gmv: float
    online_orders: int
    mobile_gmv_share: float


def brand(serving: Path, brand_ids: list[str], start: date, end: date) -> BrandNumbers:
    online, wireless, orders = rows(
        serving,
        "select sum(online_gmv)::double, sum(wireless_gmv)::double, sum(online_orders) "
        "from marts.kpi_mobile_share_daily "
        "where date >= ? and date <= ? and list_contains(?, brand_id)",
        [start, end, brand_ids],
    )[0]
    return BrandNumbers(
        online_gmv=online or 0.0,
        wireless_gmv=wireless or 0.0,
        online_orders=int(orders or 0),
        mobile_gmv_share=(wireless / online) if online else float("nan"),
    )


def store_fulfilled_share(serving: Path, start: date, end: date) -> float:
    part, whole = rows(
        serving,
        "select sum(store_fulfilled_orders), sum(online_orders) from marts.kpi_omnichannel_daily "
        "where date >= ? and date <= ?",
        [start, end],
    )[0]
    return part / whole


def run_id(serving: Path) -> str:
    return str(one(serving, "select run_id from ops.publish_info"))


def data_through(serving: Path) -> date:
    return one(serving, "select data_through from ops.publish_info")
