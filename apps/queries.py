"""Every SQL statement the dashboard runs, against the published serving file.

Rules kept here so that no page has to remember them:
- User input reaches SQL only as bound parameters (`?`). The few identifiers that vary (a
  breakdown column, a time grain) are picked from fixed dictionaries, never pasted from input.
- Brand-grained marts are read only through a `BrandScope` (see `apps.access`), and the scope's
  brand list is applied in the SQL itself, so tables, charts and CSV downloads all carry it.
- Rates over a range are recomputed from summed numerators and denominators, never averaged.
- Results are cached per snapshot version: a new publish gets new cache keys, so a fresh
  snapshot is never hidden by a stale cache.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from apps.access import BrandScope
from apps.snapshot import Snapshot

_cache = st.cache_data(
    hash_funcs={
        Snapshot: lambda s: (str(s.path), s.version),
        BrandScope: lambda s: (s.brands, s.categories),
    },
    max_entries=512,
    show_spinner=False,
)

# Time grains for trend charts: grain name -> SQL truncation unit (fixed, never user text).
GRAINS: dict[str, str] = {"day": "day", "week": "week", "month": "month"}
CONTENT_BREAKDOWNS: dict[str, str] = {"platform": "platform", "content_type": "content_type"}


def _scope_sql(
    scope: BrandScope, brand_col: str = "brand_id", category_col: str = "category"
) -> tuple[str, list[Any]]:
    """A WHERE fragment and its parameters for a brand scope (NULL list = no restriction)."""
    sql = (
        f"(?::varchar[] is null or list_contains(?::varchar[], {brand_col}))"
        f" and (?::varchar[] is null or list_contains(?::varchar[], {category_col}))"
    )
    brands = list(scope.brands) if scope.brands is not None else None
    cats = list(scope.categories) if scope.categories is not None else None
    return sql, [brands, brands, cats, cats]


def _one(df: pd.DataFrame) -> dict[str, Any]:
    if df.empty:
        return {}
    row = df.iloc[0].to_dict()
    return {k: (None if pd.isna(v) else v) for k, v in row.items()}


# --- snapshot metadata -------------------------------------------------------------------------


@_cache
def publish_info(snap: Snapshot) -> dict[str, Any]:
    return _one(
        snap.query(
            "select published_at, run_id, data_from, data_through from ops.publish_info "
            "order by published_at desc limit 1"
        )
    )


@_cache
def data_bounds(snap: Snapshot) -> tuple[date, date] | None:
    """First and last business date with marketplace data."""
    row = _one(snap.query("select min(date) as lo, max(date) as hi from marts.kpi_overview_daily"))
    if row.get("lo") is None:
        return None
    return pd.Timestamp(row["lo"]).date(), pd.Timestamp(row["hi"]).date()


@_cache
def festival_days(snap: Snapshot) -> pd.DataFrame:
    """Dates that are festivals, with the festival's code and display name."""
    return snap.query(
        "select date, festival_code, festival_name from marts.dim_date "
        "where festival_code is not null order by date"
    )


@_cache
def brands(snap: Snapshot, scope: BrandScope) -> pd.DataFrame:
    """Brands the scope may see (its category filter does not apply: this feeds the pickers)."""
    where, params = _scope_sql(BrandScope(scope.brands, None))
    return snap.query(
        f"select brand_id, brand_name, category from marts.dim_brands where {where} "
        "order by brand_name, brand_id",
        params,
    )


# --- marketplace overview ----------------------------------------------------------------------


@_cache
def overview_totals(snap: Snapshot, start: date, end: date) -> dict[str, Any]:
    """Marketplace KPIs over [start, end], every rate from summed parts.

    Buyers are distinct over the whole range (from the order fact). Visitors and content UV
    are distinct per day in the mart, so over a range they are daily averages; conversion is
    converting visitor-days over visitor-days, the daily definition summed.
    """
    return _one(
        snap.query(
            """
            with o as (
                select
                    count(*) as days,
                    sum(gmv)::double as gmv,
                    sum(net_sales)::double as net_sales,
                    sum(orders)::bigint as orders,
                    sum(buyers)::bigint as buyer_days,
                    sum(visitors)::bigint as visitor_days,
                    sum(converting_visitors)::bigint as converting_visitor_days,
                    sum(content_uv)::bigint as content_uv_days
                from marts.kpi_overview_daily
                where date between ? and ?
            ),
            b as (
                select count(distinct buyer_id) as buyers
                from marts.fct_orders
                where is_counted and order_date between ? and ?
            ),
            t as (
                select
                    sum(gmv) filter (where terminal_group = 'wireless')::double as wireless_gmv,
                    sum(gmv) filter (where terminal_group in ('wireless', 'pc'))::double
                        as online_gmv
                from marts.kpi_sales_daily
                where date between ? and ?
            )
            select
                o.*,
                b.buyers,
                t.wireless_gmv,
                t.online_gmv,
                o.gmv / nullif(o.orders, 0) as aov,
                o.gmv / nullif(b.buyers, 0) as gmv_per_buyer,
                o.visitor_days / nullif(o.days, 0) as visitors_per_day,
                o.content_uv_days / nullif(o.days, 0) as content_uv_per_day,
                o.converting_visitor_days / nullif(o.visitor_days, 0) as conversion_rate,
                t.wireless_gmv / nullif(t.online_gmv, 0) as mobile_gmv_share
            from o, b, t
            """,
            [start, end, start, end, start, end],
        )
    )


@_cache
def overview_daily(snap: Snapshot, start: date, end: date) -> pd.DataFrame:
    return snap.query(
        """
        select date, gmv::double as gmv, net_sales::double as net_sales, orders, buyers,
               visitors, converting_visitors, conversion_rate, mobile_gmv_share, content_uv,
               festival
        from marts.kpi_overview_daily
        where date between ? and ?
        order by date
        """,
        [start, end],
    )


@_cache
def terminal_trend(snap: Snapshot, start: date, end: date, grain: str) -> pd.DataFrame:
    """GMV and orders per terminal group and period, with each group's share of the period."""
    unit = GRAINS[grain]
    return snap.query(
        f"""
        with g as (
            select date_trunc('{unit}', date)::date as period, terminal_group,
                   sum(gmv)::double as gmv, sum(orders)::bigint as orders
            from marts.kpi_sales_daily
            where date between ? and ?
            group by all
        )
        select period, terminal_group, gmv, orders,
               gmv / nullif(sum(gmv) over (partition by period), 0) as gmv_share
        from g
        order by period, terminal_group
        """,
        [start, end],
    )


# --- brand-grained (mobile share) --------------------------------------------------------------

_BRAND_SUMS = """
    sum(online_gmv)::double as online_gmv,
    sum(wireless_gmv)::double as wireless_gmv,
    sum(pc_gmv)::double as pc_gmv,
    sum(wireless_gmv)::double / nullif(sum(online_gmv)::double, 0) as mobile_gmv_share,
    sum(online_orders)::bigint as online_orders,
    sum(wireless_orders)::bigint as wireless_orders,
    sum(wireless_orders) / nullif(sum(online_orders), 0) as mobile_order_share,
    sum(online_buyers)::bigint as online_buyer_days,
    sum(wireless_buyers)::bigint as wireless_buyer_days,
    sum(wireless_buyers) / nullif(sum(online_buyers), 0) as mobile_buyer_share
"""


@_cache
def brand_totals(snap: Snapshot, scope: BrandScope, start: date, end: date) -> dict[str, Any]:
    """Online KPIs of the scope's brands over [start, end]; buyers distinct over the range."""
    where, params = _scope_sql(scope)
    where_orders, params_orders = _scope_sql(scope, "o.brand_id", "b.category")
    return _one(
        snap.query(
            f"""
            with m as (
                select count(distinct date) as days, {_BRAND_SUMS},
                       sum(online_gmv)::double / nullif(sum(online_orders), 0) as aov
                from marts.kpi_mobile_share_daily
                where date between ? and ? and {where}
            ),
            b as (
                select count(distinct o.buyer_id) as online_buyers
                from marts.fct_orders o
                join marts.dim_brands b using (brand_id)
                where o.is_counted and o.is_online and o.order_date between ? and ?
                  and {where_orders}
            )
            select m.*, b.online_buyers from m, b
            """,
            [start, end, *params, start, end, *params_orders],
        )
    )


@_cache
def brand_trend(
    snap: Snapshot, scope: BrandScope, start: date, end: date, grain: str
) -> pd.DataFrame:
    """The scope's online GMV by terminal and its mobile share, per period."""
    unit = GRAINS[grain]
    where, params = _scope_sql(scope)
    return snap.query(
        f"""
        select date_trunc('{unit}', date)::date as period, {_BRAND_SUMS}
        from marts.kpi_mobile_share_daily
        where date between ? and ? and {where}
        group by all
        order by period
        """,
        [start, end, *params],
    )


@_cache
def mobile_by_brand(snap: Snapshot, scope: BrandScope, start: date, end: date) -> pd.DataFrame:
    where, params = _scope_sql(scope, "m.brand_id", "m.category")
    return snap.query(
        f"""
        select m.brand_id, coalesce(b.brand_name, m.brand_id) as brand_name, m.category,
               {_BRAND_SUMS}
        from marts.kpi_mobile_share_daily m
        left join marts.dim_brands b using (brand_id)
        where m.date between ? and ? and {where}
        group by all
        order by online_gmv desc, m.brand_id
        """,
        [start, end, *params],
    )


@_cache
def mobile_by_category(snap: Snapshot, scope: BrandScope, start: date, end: date) -> pd.DataFrame:
    where, params = _scope_sql(scope)
    return snap.query(
        f"""
        select category, {_BRAND_SUMS}
        from marts.kpi_mobile_share_daily
        where date between ? and ? and {where}
        group by all
        order by online_gmv desc, category
        """,
        [start, end, *params],
    )


# --- content -----------------------------------------------------------------------------------


@_cache
def content_growth(snap: Snapshot, period_type: str, start: date, end: date) -> pd.DataFrame:
    """Weekly or monthly content UV (distinct over the whole period) with growth and YoY."""
    return snap.query(
        """
        select period_start, period_end, is_complete, content_uv, prev_content_uv, uv_growth,
               yoy_content_uv, yoy_uv_growth, content_product_uv, prev_content_product_uv,
               product_uv_growth, yoy_content_product_uv
        from marts.kpi_content_uv_growth
        where period_type = ? and period_start between ? and ?
        order by period_start
        """,
        [period_type, start, end],
    )


@_cache
def content_breakdown(snap: Snapshot, start: date, end: date, by: str) -> pd.DataFrame:
    """Content reach by platform or content type: daily UV averaged, CTR from summed parts."""
    col = CONTENT_BREAKDOWNS[by]
    return snap.query(
        f"""
        select {col} as {col},
               sum(content_uv)::bigint as uv_days,
               sum(content_uv) / count(distinct date) as avg_daily_uv,
               sum(views)::bigint as views,
               sum(product_clickers)::bigint as clicker_days,
               sum(product_clickers) / nullif(sum(content_uv), 0) as click_through_rate
        from marts.kpi_content_daily
        where date between ? and ?
        group by all
        order by views desc
        """,
        [start, end],
    )


@_cache
def content_daily_by(snap: Snapshot, start: date, end: date, by: str, grain: str) -> pd.DataFrame:
    col = CONTENT_BREAKDOWNS[by]
    unit = GRAINS[grain]
    return snap.query(
        f"""
        select date_trunc('{unit}', date)::date as period, {col} as {col},
               sum(views)::bigint as views, sum(content_uv)::bigint as uv_days
        from marts.kpi_content_daily
        where date between ? and ?
        group by all
        order by period
        """,
        [start, end],
    )


@_cache
def creator_leaderboard(snap: Snapshot, start: date, end: date, limit: int) -> pd.DataFrame:
    """Creators ranked by attributed GMV: fans at the end of the range, their growth in it."""
    return snap.query(
        """
        with c as (
            select creator_id,
                   arg_max(kind, date) as kind,
                   arg_max(followers, date) as followers,
                   arg_max(followers, date) - arg_min(followers, date) as follower_growth,
                   sum(content_uv)::bigint as uv_days,
                   sum(views)::bigint as views,
                   sum(attributed_gmv)::double as attributed_gmv
            from marts.kpi_creator_daily
            where date between ? and ?
            group by creator_id
        )
        select c.creator_id, coalesce(d.creator_name, c.creator_id) as creator_name, c.kind,
               d.home_platform, c.followers, c.follower_growth, c.uv_days, c.views,
               c.attributed_gmv
        from c
        left join marts.dim_creators d using (creator_id)
        order by c.attributed_gmv desc nulls last, c.followers desc, c.creator_id
        limit ?
        """,
        [start, end, limit],
    )


# --- experiments -------------------------------------------------------------------------------


@_cache
def experiment_list(snap: Snapshot) -> pd.DataFrame:
    return snap.query(
        """
        with r as (
            select experiment_id,
                   bool_or(coalesce(srm_flag, false)) as srm_flag,
                   sum(visitors) filter (where segment = 'all')::bigint as visitors
            from marts.kpi_experiment_results
            group by experiment_id
        )
        select r.experiment_id, coalesce(e.experiment_name, r.experiment_id) as experiment_name,
               e.start_date, e.end_date, e.control_variant, r.srm_flag, r.visitors
        from r
        left join marts.dim_experiments e using (experiment_id)
        order by e.start_date desc nulls last, r.experiment_id
        """
    )


@_cache
def experiment_results(snap: Snapshot, experiment_id: str) -> pd.DataFrame:
    return snap.query(
        """
        select segment, variant, is_control, visitors, converters, conversion_rate, abs_lift,
               abs_lift_ci_low, abs_lift_ci_high, rel_lift, rel_lift_ci_low, rel_lift_ci_high,
               p_value, srm_p_value, srm_flag
        from marts.kpi_experiment_results
        where experiment_id = ?
        order by case segment when 'all' then 0 when 'new' then 1 else 2 end,
                 not is_control, variant
        """,
        [experiment_id],
    )


# --- omnichannel -------------------------------------------------------------------------------


@_cache
def omni_totals(snap: Snapshot, start: date, end: date) -> dict[str, Any]:
    return _one(
        snap.query(
            """
            select
                sum(online_orders)::bigint as online_orders,
                sum(store_fulfilled_orders)::bigint as store_fulfilled_orders,
                sum(store_fulfilled_orders) / nullif(sum(online_orders), 0)
                    as store_fulfilled_share,
                sum(pickup_orders)::bigint as pickup_orders,
                sum(pickup_orders) / nullif(sum(online_orders), 0) as pickup_share,
                sum(in_store_orders)::bigint as in_store_orders,
                sum(offline_gmv)::double as offline_gmv,
                sum(shipped_orders)::bigint as shipped_orders,
                sum(shipped_within_1h_orders)::bigint as shipped_within_1h_orders,
                sum(shipped_within_1h_orders) / nullif(sum(shipped_orders), 0)
                    as shipped_within_1h_share,
                sum(delivered_orders)::bigint as delivered_orders,
                sum(on_time_delivered_orders)::bigint as on_time_delivered_orders,
                sum(on_time_delivered_orders) / nullif(sum(delivered_orders), 0)
                    as on_time_delivery_rate
            from marts.kpi_omnichannel_daily
            where date between ? and ?
            """,
            [start, end],
        )
    )


@_cache
def ship_time_totals(snap: Snapshot, start: date, end: date) -> dict[str, Any]:
    """Ship-time percentiles pooled over every shipped counted order of the range.

    Percentiles cannot be combined from daily values, so they are recomputed from the orders
    with the mart's definition (continuous quantiles of order-to-shipment minutes).
    """
    return _one(
        snap.query(
            """
            select
                count(*) as shipped_orders,
                quantile_cont(ship_minutes, 0.5) as ship_minutes_p50,
                quantile_cont(ship_minutes, 0.9) as ship_minutes_p90
            from marts.fct_orders
            where is_counted and is_shipped and order_date between ? and ?
            """,
            [start, end],
        )
    )


@_cache
def omni_trend(snap: Snapshot, start: date, end: date, grain: str) -> pd.DataFrame:
    unit = GRAINS[grain]
    return snap.query(
        f"""
        select date_trunc('{unit}', date)::date as period,
               sum(store_fulfilled_orders) / nullif(sum(online_orders), 0)
                   as store_fulfilled_share,
               sum(pickup_orders) / nullif(sum(online_orders), 0) as pickup_share,
               sum(shipped_within_1h_orders) / nullif(sum(shipped_orders), 0)
                   as shipped_within_1h_share,
               sum(on_time_delivered_orders) / nullif(sum(delivered_orders), 0)
                   as on_time_delivery_rate
        from marts.kpi_omnichannel_daily
        where date between ? and ?
        group by all
        order by period
        """,
        [start, end],
    )


@_cache
def ship_time_daily(snap: Snapshot, start: date, end: date) -> pd.DataFrame:
    return snap.query(
        """
        select date, ship_minutes_p50, ship_minutes_p90
        from marts.kpi_omnichannel_daily
        where date between ? and ?
        order by date
        """,
        [start, end],
    )


@_cache
def channel_mix(snap: Snapshot, start: date, end: date) -> pd.DataFrame:
    """Buyers per channel group for the months touching [start, end]."""
    return snap.query(
        """
        select month, online_only_buyers, offline_only_buyers, omnichannel_buyers,
               omnichannel_share
        from marts.kpi_customer_channels_monthly
        where month between date_trunc('month', ?::date) and ?
        order by month
        """,
        [start, end],
    )


@_cache
def lifecycle(snap: Snapshot, start: date, end: date) -> pd.DataFrame:
    return snap.query(
        """
        select month, state, buyers, gmv::double as gmv, repeat_purchase_rate
        from marts.kpi_customer_lifecycle_monthly
        where month between date_trunc('month', ?::date) and ?
        order by month, state
        """,
        [start, end],
    )


# --- data health -------------------------------------------------------------------------------


@_cache
def runs(snap: Snapshot, limit: int = 10) -> pd.DataFrame:
    return snap.query(
        """
        select run_id, status, started_at, finished_at,
               date_diff('second', started_at, finished_at) as seconds, message
        from ops.runs
        order by started_at desc
        limit ?
        """,
        [limit],
    )


@_cache
def freshness(snap: Snapshot) -> pd.DataFrame:
    """Per source: the newest delivery loaded, when, and how far it trails the newest overall."""
    return snap.query(
        """
        with s as (
            select source,
                   max(dt) filter (where status = 'loaded') as latest_dt,
                   max(loaded_at) as last_loaded_at,
                   count(*) filter (where status = 'failed') as failed_partitions,
                   count(distinct entity) as entities
            from ops.deliveries
            group by source
        )
        select source, latest_dt, last_loaded_at, failed_partitions, entities,
               date_diff('day', latest_dt, max(latest_dt) over ()) as days_behind
        from s
        order by source
        """
    )


@_cache
def quarantine_by_reason(snap: Snapshot, start: date, end: date) -> pd.DataFrame:
    return snap.query(
        """
        select reason_code, source, entity, sum(rows)::bigint as rows
        from ops.quarantine_summary
        where dt between ? and ?
        group by all
        order by rows desc, reason_code, source, entity
        """,
        [start, end],
    )


@_cache
def failed_checks(snap: Snapshot, limit: int = 200) -> pd.DataFrame:
    return snap.query(
        """
        select checked_at, run_id, check_name, asset, partition, severity, details
        from ops.check_results
        where not passed
        order by checked_at desc, check_name
        limit ?
        """,
        [limit],
    )


@_cache
def check_summary(snap: Snapshot) -> pd.DataFrame:
    """Validation results of the latest run that recorded checks, per asset."""
    return snap.query(
        """
        with latest as (
            select run_id from ops.check_results order by checked_at desc limit 1
        )
        select asset,
               count(*) as checks,
               count(*) filter (where passed) as passed,
               count(*) filter (where not passed and severity = 'error') as failed_errors,
               count(*) filter (where not passed and severity = 'warn') as warnings
        from ops.check_results
        where run_id = (select run_id from latest)
        group by asset
        order by failed_errors desc, warnings desc, asset
        """
    )
