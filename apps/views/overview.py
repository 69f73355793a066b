"""Overview: the headline KPIs with their change vs the previous period and vs last year.

Executives see the marketplace; brand managers see the same page built only from their brands'
rows of the brand-grained mart (online channels), never marketplace totals.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from apps import charts, periods, queries, ui
from apps import format as fmt

Totals = dict[str, Any]
# KPIs that are counts (exact value without currency in the tooltip).
_COUNTS = {
    "orders",
    "buyers",
    "visitors_per_day",
    "content_uv_per_day",
    "online_orders",
    "online_buyers",
}


def _three(ctx: ui.PageContext, fetch: Callable[[Any, Any], Totals]) -> tuple[Totals, ...]:
    f = ctx.filters
    return (
        fetch(f.start, f.end),
        fetch(*periods.previous_period(f.start, f.end)),
        fetch(*periods.same_period_last_year(f.start, f.end)),
    )


def _kpi(
    label: str,
    key: str,
    cur: Totals,
    prev: Totals,
    yoy: Totals,
    show: Callable[[Any], str],
    *,
    rate: bool = False,
) -> ui.Kpi:
    value = cur.get(key)
    if rate:
        exact = fmt.percent(value, 3)
    else:
        exact = fmt.exact_count(value) if key in _COUNTS else fmt.exact_money(value)
    return ui.Kpi(
        label=label,
        value=show(value),
        vs_previous=fmt.change_text(value, prev.get(key), rate=rate),
        vs_last_year=fmt.change_text(value, yoy.get(key), rate=rate),
        exact=exact,
    )


def marketplace(ctx: ui.PageContext) -> None:
    f, snap, style = ctx.filters, ctx.snap, ctx.filters.style
    st.title("Overview")
    st.caption(f"{f.label} · marketplace-wide, all channels")
    cur, prev, yoy = _three(ctx, lambda a, b: queries.overview_totals(snap, a, b))
    if not cur.get("days"):
        ui.empty()
        return

    def money(x: float | None) -> str:
        return fmt.money(x, style)

    def count(x: float | None) -> str:
        return fmt.count(x, style)

    ui.kpi_row(
        [
            _kpi("GMV", "gmv", cur, prev, yoy, money),
            _kpi("Net sales", "net_sales", cur, prev, yoy, money),
            _kpi("Orders", "orders", cur, prev, yoy, count),
            _kpi("Buyers", "buyers", cur, prev, yoy, count),
            _kpi("AOV", "aov", cur, prev, yoy, money),
            _kpi("Visitors/day", "visitors_per_day", cur, prev, yoy, count),
            _kpi("Conversion rate", "conversion_rate", cur, prev, yoy, fmt.percent, rate=True),
            _kpi("Mobile share", "mobile_gmv_share", cur, prev, yoy, fmt.percent, rate=True),
            _kpi("Content UV/day", "content_uv_per_day", cur, prev, yoy, count),
        ]
    )
    st.caption(
        "Buyers are distinct over the whole period. Visitors and content UV are distinct people "
        "per day, so over a period they are daily averages. Conversion and mobile share are "
        "recomputed from summed numerators and denominators."
    )
    daily = queries.overview_daily(snap, f.start, f.end)
    st.subheader("GMV by day, festivals marked")
    ui.chart(charts.gmv_trend(daily, style))
    ui.table(daily, "overview daily", ctx=ctx)


def brand(ctx: ui.PageContext) -> None:
    f, snap, style = ctx.filters, ctx.snap, ctx.filters.style
    names = dict(
        queries.brands(snap, ctx.scope)[["brand_id", "brand_name"]].itertuples(index=False)
    )
    st.title("Overview")
    st.caption(
        f"{f.label} · {ui.scope_caption(ctx, names)} · online channels (wireless + PC). "
        "Marketplace-wide KPIs are not shown to brand managers."
    )
    cur, prev, yoy = _three(ctx, lambda a, b: queries.brand_totals(snap, ctx.scope, a, b))
    if not cur.get("days"):
        ui.empty()
        return

    def money(x: float | None) -> str:
        return fmt.money(x, style)

    ui.kpi_row(
        [
            _kpi("Online GMV", "online_gmv", cur, prev, yoy, money),
            _kpi("Online orders", "online_orders", cur, prev, yoy, lambda x: fmt.count(x, style)),
            _kpi("AOV", "aov", cur, prev, yoy, money),
            _kpi("Online buyers", "online_buyers", cur, prev, yoy, lambda x: fmt.count(x, style)),
            _kpi("Mobile GMV share", "mobile_gmv_share", cur, prev, yoy, fmt.percent, rate=True),
            _kpi(
                "Mobile order share", "mobile_order_share", cur, prev, yoy, fmt.percent, rate=True
            ),
            _kpi(
                "Mobile buyer share", "mobile_buyer_share", cur, prev, yoy, fmt.percent, rate=True
            ),
        ],
        per_row=4,
    )
    grain = periods.grain_for(f.start, f.end)
    trend = queries.brand_trend(snap, ctx.scope, f.start, f.end, grain)
    st.subheader(f"Online GMV by terminal, per {grain}")
    ui.chart(
        charts.stacked_gmv(trend, "period", {"wireless_gmv": "wireless", "pc_gmv": "pc"}, style)
    )
    ui.table(trend, "brand overview", ctx=ctx)


def render(ctx: ui.PageContext) -> None:
    if ctx.user.is_executive:
        marketplace(ctx)
    else:
        brand(ctx)


render(ui.page_context("overview"))
