"""Mobile: wireless share of GMV, orders and buyers over time, by brand and by category."""

from __future__ import annotations

import streamlit as st

from apps import charts, periods, queries, ui
from apps import format as fmt

TOP_BRANDS = 15  # the chart; the table below lists every brand in scope


def render(ctx: ui.PageContext) -> None:
    f, snap, style = ctx.filters, ctx.snap, ctx.filters.style
    names = dict(
        queries.brands(snap, ctx.scope)[["brand_id", "brand_name"]].itertuples(index=False)
    )
    st.title("Mobile")
    st.caption(f"{f.label} · {ui.scope_caption(ctx, names)} · online orders (wireless vs PC)")

    totals = queries.brand_totals(snap, ctx.scope, f.start, f.end)
    if not totals.get("days"):
        ui.empty()
        return
    prev = queries.brand_totals(snap, ctx.scope, *periods.previous_period(f.start, f.end))
    yoy = queries.brand_totals(snap, ctx.scope, *periods.same_period_last_year(f.start, f.end))

    def share_kpi(label: str, key: str) -> ui.Kpi:
        return ui.Kpi(
            label,
            fmt.percent(totals.get(key)),
            fmt.change_text(totals.get(key), prev.get(key), rate=True),
            fmt.change_text(totals.get(key), yoy.get(key), rate=True),
        )

    ui.kpi_row(
        [
            share_kpi("Mobile GMV share", "mobile_gmv_share"),
            share_kpi("Mobile order share", "mobile_order_share"),
            share_kpi("Mobile buyer share", "mobile_buyer_share"),
            ui.Kpi(
                "Wireless GMV",
                fmt.money(totals.get("wireless_gmv"), style),
                fmt.change_text(totals.get("wireless_gmv"), prev.get("wireless_gmv")),
                fmt.change_text(totals.get("wireless_gmv"), yoy.get("wireless_gmv")),
                exact=fmt.exact_money(totals.get("wireless_gmv")),
            ),
        ],
        per_row=4,
    )

    grain = periods.grain_for(f.start, f.end)
    if ctx.user.is_executive:
        st.subheader(f"GMV share by terminal group, per {grain}")
        ui.marketplace_note()
        trend = queries.terminal_trend(snap, f.start, f.end, grain)
        ui.chart(charts.terminal_share(trend))
        ui.table(trend, "terminal share", ctx=ctx)

    st.subheader(f"Mobile share of the selected brands, per {grain}")
    btrend = queries.brand_trend(snap, ctx.scope, f.start, f.end, grain)
    ui.chart(
        charts.multi_share_lines(
            btrend,
            "period",
            {
                "mobile_gmv_share": "GMV share",
                "mobile_order_share": "order share",
                "mobile_buyer_share": "buyer share",
            },
        )
    )

    left, right = st.columns(2)
    by_brand = queries.mobile_by_brand(snap, ctx.scope, f.start, f.end)
    by_cat = queries.mobile_by_category(snap, ctx.scope, f.start, f.end)
    with left:
        st.subheader(f"By brand (top {TOP_BRANDS} by online GMV)")
        top = by_brand.head(TOP_BRANDS)
        ui.chart(charts.share_bars(top, "brand_name", "mobile_gmv_share", "Mobile GMV share"))
    with right:
        st.subheader("By category")
        ui.chart(charts.share_bars(by_cat, "category", "mobile_gmv_share", "Mobile GMV share"))
    ui.table(by_brand, "mobile by brand", ctx=ctx)
    ui.table(by_cat, "mobile by category", ctx=ctx)
    st.caption(
        "Shares are recomputed from summed wireless and online totals over the period. Buyer "
        "columns count distinct buyers per day, summed over the days (buyer-days)."
    )


render(ui.page_context("mobile"))
