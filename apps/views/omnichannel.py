"""Omnichannel: store fulfilment, pickup, ship times, delivery, channel mix and lifecycle."""

from __future__ import annotations

import streamlit as st

from apps import charts, periods, queries, ui
from apps import format as fmt


def render(ctx: ui.PageContext) -> None:
    f, snap, style = ctx.filters, ctx.snap, ctx.filters.style
    st.title("Omnichannel")
    st.caption(f"{f.label} · marketplace-wide")
    ui.marketplace_note()
    cur = queries.omni_totals(snap, f.start, f.end)
    if not cur.get("online_orders"):
        ui.empty()
        return
    prev = queries.omni_totals(snap, *periods.previous_period(f.start, f.end))
    yoy = queries.omni_totals(snap, *periods.same_period_last_year(f.start, f.end))

    def rate(label: str, key: str, help_text: str) -> ui.Kpi:
        return ui.Kpi(
            label,
            fmt.percent(cur.get(key)),
            fmt.change_text(cur.get(key), prev.get(key), rate=True),
            fmt.change_text(cur.get(key), yoy.get(key), rate=True),
            help=help_text,
        )

    ship = [
        queries.ship_time_totals(snap, a, b)
        for a, b in (
            (f.start, f.end),
            periods.previous_period(f.start, f.end),
            periods.same_period_last_year(f.start, f.end),
        )
    ]

    def ship_kpi(label: str, key: str) -> ui.Kpi:
        now, before, last_year = (s.get(key) for s in ship)
        return ui.Kpi(
            label,
            fmt.minutes(now),
            fmt.change_text(now, before),
            fmt.change_text(now, last_year),
            help="Minutes from order to shipment over every shipped order of the period.",
            inverse=True,
        )

    ui.kpi_row(
        [
            rate(
                "Store fulfilment share",
                "store_fulfilled_share",
                "Online orders shipped from or picked up at a store, of all online orders.",
            ),
            rate("Pickup share", "pickup_share", "Online orders picked up in store."),
            rate(
                "Shipped within 1 hour",
                "shipped_within_1h_share",
                "Shipments leaving within 60 minutes of the order, of shipped orders.",
            ),
            rate(
                "On-time delivery",
                "on_time_delivery_rate",
                "Delivered by the promised time, of delivered orders.",
            ),
            ui.Kpi(
                "Offline GMV",
                fmt.money(cur.get("offline_gmv"), style),
                fmt.change_text(cur.get("offline_gmv"), prev.get("offline_gmv")),
                fmt.change_text(cur.get("offline_gmv"), yoy.get("offline_gmv")),
                exact=fmt.exact_money(cur.get("offline_gmv")),
            ),
            ship_kpi("Ship time p50", "ship_minutes_p50"),
            ship_kpi("Ship time p90", "ship_minutes_p90"),
        ],
        per_row=4,
    )

    grain = periods.grain_for(f.start, f.end)
    left, right = st.columns(2)
    with left:
        st.subheader(f"Fulfilment and delivery, per {grain}")
        trend = queries.omni_trend(snap, f.start, f.end, grain)
        ui.chart(
            charts.multi_share_lines(
                trend,
                "period",
                {
                    "store_fulfilled_share": "store fulfilment",
                    "pickup_share": "pickup",
                    "shipped_within_1h_share": "shipped within 1 h",
                    "on_time_delivery_rate": "on-time delivery",
                },
            )
        )
    with right:
        st.subheader("Ship time by day (p50, p90)")
        ship_daily = queries.ship_time_daily(snap, f.start, f.end)
        ui.chart(charts.ship_times(ship_daily))
    st.caption(
        "Shares over a period are recomputed from summed orders. Percentiles cannot be combined "
        "from daily values: the p50/p90 cards are recomputed over all shipped orders of the "
        "period, the chart shows each day's own percentiles."
    )
    ui.table(trend, f"fulfilment per {grain}", ctx=ctx)
    ui.table(ship_daily, "ship time per day", ctx=ctx)

    left, right = st.columns(2)
    mix = queries.channel_mix(snap, f.start, f.end)
    life = queries.lifecycle(snap, f.start, f.end)
    with left:
        st.subheader("Channel mix of buyers, by month")
        if mix.empty:
            ui.empty("No whole month in this range.")
        else:
            ui.chart(charts.channel_mix(mix))
            ui.table(mix, "channel mix", ctx=ctx)
    with right:
        st.subheader("Customer lifecycle, by month")
        if life.empty:
            ui.empty("No whole month in this range.")
        else:
            ui.chart(charts.lifecycle_bars(life))
            ui.table(life, "customer lifecycle", ctx=ctx)
    st.caption(
        "Monthly views show every month that overlaps the date range. Lifecycle: new (first "
        "order this month), retained, reactivated (previous order more than 180 days back), "
        "lapsing and dormant (no order this month)."
    )


render(ui.page_context("omnichannel"))
