"""Content: UV and its growth by week or month, reach by platform and type, creators."""

from __future__ import annotations

import streamlit as st

from apps import charts, periods, queries, ui
from apps import format as fmt

LEADERBOARD_SIZE = 20


def render(ctx: ui.PageContext) -> None:
    f, snap, style = ctx.filters, ctx.snap, ctx.filters.style
    st.title("Content")
    st.caption(f"{f.label} · marketplace-wide")
    ui.marketplace_note()

    period_type = st.radio("Period", ["week", "month"], horizontal=True, key="content_period_type")
    growth = queries.content_growth(snap, period_type, f.start, f.end)
    if growth.empty:
        ui.empty(f"No {period_type} starts inside this date range; widen the range.")
    else:
        complete = growth[growth["is_complete"].fillna(False).astype(bool)]
        last = (complete if not complete.empty else growth).iloc[-1]
        ui.kpi_row(
            [
                ui.Kpi(
                    f"Content UV ({period_type})",
                    fmt.count(last["content_uv"], style),
                    fmt.change_text(last["content_uv"], last["prev_content_uv"]),
                    fmt.change_text(last["content_uv"], last["yoy_content_uv"]),
                    help=f"Distinct people viewing content in the {period_type} starting "
                    f"{last['period_start']:%Y-%m-%d}.",
                ),
                ui.Kpi(
                    f"Content → product UV ({period_type})",
                    fmt.count(last["content_product_uv"], style),
                    fmt.change_text(last["content_product_uv"], last["prev_content_product_uv"]),
                    fmt.change_text(last["content_product_uv"], last["yoy_content_product_uv"]),
                    help="Distinct people who clicked through from content to a product.",
                ),
            ],
            per_row=4,
        )
        st.subheader(f"Content UV per {period_type} and growth")
        ui.chart(charts.uv_growth(growth, period_type))
        ui.table(growth, f"content uv by {period_type}", ctx=ctx)

    grain = periods.grain_for(f.start, f.end)
    for by, title in (("platform", "platform"), ("content_type", "content type")):
        st.subheader(f"By {title}")
        breakdown = queries.content_breakdown(snap, f.start, f.end, by)
        left, right = st.columns(2)
        with left:
            ui.chart(
                charts.lines_by(
                    queries.content_daily_by(snap, f.start, f.end, by, grain),
                    "period",
                    "views",
                    by,
                    f"Views per {grain}",
                )
            )
        with right:
            ui.table(
                breakdown,
                f"content by {title}",
                ctx=ctx,
                column_config={"avg_daily_uv": st.column_config.NumberColumn(format="%.0f")},
            )
    st.caption(
        "Content UV is distinct people per day; over a range it is the daily average. The "
        "click-through rate is product clickers over viewers, both summed over the days."
    )

    st.subheader("Creators' leaderboard")
    board = queries.creator_leaderboard(snap, f.start, f.end, LEADERBOARD_SIZE)
    if board.empty:
        ui.empty("No creator activity in this period.")
    else:
        ui.table(
            board,
            "creator leaderboard",
            ctx=ctx,
            column_config={
                "followers": st.column_config.NumberColumn("fans", format="localized"),
                "follower_growth": st.column_config.NumberColumn("fan growth", format="%+d"),
                "uv_days": st.column_config.NumberColumn("content UV (daily, summed)"),
                "attributed_gmv": st.column_config.NumberColumn("attributed GMV", format="%.2f"),
            },
        )
        st.caption(
            "Fans at the end of the period and their growth over it; GMV attributed to the "
            "creator's content by last touch within 7 days."
        )


render(ui.page_context("content"))
