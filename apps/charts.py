"""Altair charts of the dashboard. Each takes a tidy DataFrame and returns a chart; pages draw.

Axis formats follow the executive style where Vega can express it (SI-style `~s` for money in
the international style, plain grouping otherwise); tooltips show exact values.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from apps.format import NumberStyle

TERMINAL_COLORS = {"wireless": "#ff5000", "pc": "#4c78a8", "offline": "#9d755d"}
SEGMENT_ORDER = ["all", "new", "returning"]
LIFECYCLE_ORDER = ["new", "retained", "reactivated", "lapsing", "dormant"]
HEIGHT = 280


def _money_axis(style: NumberStyle) -> str:
    return "~s" if style == "intl" else ",.0f"


def _money_expr(style: NumberStyle) -> str:
    """A Vega expression that labels axis ticks in 万/亿 for the Chinese style."""
    if style == "intl":
        return "format(datum.value, '~s')"
    return (
        "abs(datum.value) >= 1e8 ? format(datum.value / 1e8, ',.1f') + '亿' : "
        "abs(datum.value) >= 1e4 ? format(datum.value / 1e4, ',.0f') + '万' : "
        "format(datum.value, ',.0f')"
    )


def money_axis(title: str, style: NumberStyle) -> alt.Axis:
    return alt.Axis(title=title, labelExpr=_money_expr(style))


def gmv_trend(daily: pd.DataFrame, style: NumberStyle) -> alt.LayerChart:
    """Daily GMV as a line, festivals as labelled vertical rules."""
    base = alt.Chart(daily).encode(x=alt.X("date:T", title=None))
    line = base.mark_line(color="#ff5000").encode(
        y=alt.Y("gmv:Q", axis=money_axis("GMV (CNY)", style)),
        tooltip=[
            alt.Tooltip("date:T", format="%Y-%m-%d"),
            alt.Tooltip("gmv:Q", title="GMV", format=",.2f"),
            alt.Tooltip("orders:Q", format=","),
            alt.Tooltip("festival:N"),
        ],
    )
    fests = daily[daily["festival"].notna()]
    rules = (
        alt.Chart(fests)
        .mark_rule(color="#888", strokeDash=[4, 3])
        .encode(x="date:T", tooltip=[alt.Tooltip("festival:N"), alt.Tooltip("date:T")])
    )
    labels = (
        alt.Chart(fests)
        .mark_text(align="left", dx=3, dy=-4, fontSize=11, color="#555", angle=0)
        .encode(x="date:T", y=alt.value(10), text="festival:N")
    )
    return alt.layer(line, rules, labels).properties(height=HEIGHT)


def terminal_share(trend: pd.DataFrame) -> alt.Chart:
    """Each terminal group's share of GMV per period, stacked to 100%."""
    return (
        alt.Chart(trend)
        .mark_area()
        .encode(
            x=alt.X("period:T", title=None),
            y=alt.Y("gmv_share:Q", stack="normalize", axis=alt.Axis(format="%", title="GMV share")),
            color=alt.Color(
                "terminal_group:N",
                title="Terminal",
                scale=alt.Scale(domain=list(TERMINAL_COLORS), range=list(TERMINAL_COLORS.values())),
            ),
            tooltip=[
                alt.Tooltip("period:T", format="%Y-%m-%d"),
                "terminal_group:N",
                alt.Tooltip("gmv_share:Q", format=".1%"),
                alt.Tooltip("gmv:Q", format=",.2f"),
            ],
        )
        .properties(height=HEIGHT)
    )


def share_line(df: pd.DataFrame, x: str, y: str, title: str) -> alt.Chart:
    return (
        alt.Chart(df)
        .mark_line(point=len(df) < 40)
        .encode(
            x=alt.X(f"{x}:T", title=None),
            y=alt.Y(f"{y}:Q", axis=alt.Axis(format="%", title=title)),
            tooltip=[alt.Tooltip(f"{x}:T", format="%Y-%m-%d"), alt.Tooltip(f"{y}:Q", format=".1%")],
        )
        .properties(height=HEIGHT)
    )


def multi_share_lines(df: pd.DataFrame, x: str, columns: dict[str, str]) -> alt.Chart:
    """Several rate columns over time as coloured lines (`columns`: column -> legend label)."""
    long = df.melt(id_vars=[x], value_vars=list(columns), var_name="measure", value_name="value")
    long["measure"] = long["measure"].map(columns)
    return (
        alt.Chart(long)
        .mark_line()
        .encode(
            x=alt.X(f"{x}:T", title=None),
            y=alt.Y("value:Q", axis=alt.Axis(format="%", title=None)),
            color=alt.Color(
                "measure:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=0, columns=2)
            ),
            tooltip=[
                alt.Tooltip(f"{x}:T", format="%Y-%m-%d"),
                "measure:N",
                alt.Tooltip("value:Q", format=".1%"),
            ],
        )
        .properties(height=HEIGHT)
    )


def stacked_gmv(df: pd.DataFrame, x: str, columns: dict[str, str], style: NumberStyle) -> alt.Chart:
    long = df.melt(id_vars=[x], value_vars=list(columns), var_name="measure", value_name="value")
    long["measure"] = long["measure"].map(columns)
    labels = list(columns.values())
    colors = [TERMINAL_COLORS.get(v, "#999") for v in labels]
    return (
        alt.Chart(long)
        .mark_area()
        .encode(
            x=alt.X(f"{x}:T", title=None),
            y=alt.Y("value:Q", stack="zero", axis=money_axis("CNY", style)),
            color=alt.Color(
                "measure:N",
                title=None,
                scale=alt.Scale(domain=labels, range=colors),
                legend=alt.Legend(orient="bottom", labelLimit=0),
            ),
            tooltip=[
                alt.Tooltip(f"{x}:T", format="%Y-%m-%d"),
                "measure:N",
                alt.Tooltip("value:Q", format=",.2f"),
            ],
        )
        .properties(height=HEIGHT)
    )


def share_bars(df: pd.DataFrame, label: str, share: str, title: str) -> alt.Chart:
    """Horizontal bars of a share per item (brand, category), largest first."""
    return (
        alt.Chart(df)
        .mark_bar(color="#ff5000")
        .encode(
            y=alt.Y(f"{label}:N", sort="-x", title=None),
            x=alt.X(
                f"{share}:Q", axis=alt.Axis(format="%", title=title), scale=alt.Scale(domain=[0, 1])
            ),
            tooltip=[f"{label}:N", alt.Tooltip(f"{share}:Q", format=".1%")],
        )
        .properties(height=max(120, 24 * len(df)))
    )


def lines_by(df: pd.DataFrame, x: str, y: str, color: str, y_title: str) -> alt.Chart:
    return (
        alt.Chart(df)
        .mark_line()
        .encode(
            x=alt.X(f"{x}:T", title=None),
            y=alt.Y(f"{y}:Q", title=y_title),
            color=alt.Color(
                f"{color}:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=0)
            ),
            tooltip=[
                alt.Tooltip(f"{x}:T", format="%Y-%m-%d"),
                f"{color}:N",
                alt.Tooltip(f"{y}:Q", format=","),
            ],
        )
        .properties(height=HEIGHT)
    )


def uv_growth(df: pd.DataFrame, period_type: str) -> alt.LayerChart:
    """Content UV as bars with its period-over-period growth as a line on a second axis."""
    unit = "yearmonth" if period_type == "month" else "yearmonthdate"
    label = "%Y-%m" if period_type == "month" else "%m-%d"
    base = alt.Chart(df).encode(
        x=alt.X(f"{unit}(period_start):O", title=None, axis=alt.Axis(format=label, labelAngle=0))
    )
    bars = base.mark_bar(color="#4c78a8").encode(
        y=alt.Y("content_uv:Q", title="Content UV"),
        # A period still running (or cut by the data's end) is drawn faint.
        opacity=alt.condition("datum.is_complete", alt.value(0.8), alt.value(0.3)),
        tooltip=[
            alt.Tooltip("period_start:T", format="%Y-%m-%d"),
            alt.Tooltip("content_uv:Q", format=","),
            alt.Tooltip("uv_growth:Q", format="+.1%"),
            alt.Tooltip("yoy_uv_growth:Q", format="+.1%"),
            alt.Tooltip("is_complete:N", title="complete period"),
        ],
    )
    line = base.mark_line(color="#ff5000", point=True).encode(
        y=alt.Y("uv_growth:Q", axis=alt.Axis(format="+%", title="Growth vs previous period"))
    )
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=HEIGHT)


def lift_intervals(df: pd.DataFrame) -> alt.LayerChart:
    """Absolute lift per variant and segment with its 95% interval as error bars."""
    base = alt.Chart(df).encode(
        y=alt.Y("variant:N", title=None, axis=alt.Axis(labelLimit=0)),
        color=alt.Color("segment:N", scale=alt.Scale(domain=SEGMENT_ORDER), title="Segment"),
        yOffset=alt.YOffset("segment:N", sort=SEGMENT_ORDER),
    )
    bars = base.mark_errorbar(ticks=True).encode(
        x=alt.X(
            "abs_lift_ci_low:Q", axis=alt.Axis(format="+.1%", title="Absolute lift vs control")
        ),
        x2="abs_lift_ci_high:Q",
    )
    points = base.mark_point(filled=True, size=70).encode(
        x="abs_lift:Q",
        tooltip=[
            "variant:N",
            "segment:N",
            alt.Tooltip("abs_lift:Q", format="+.2%"),
            alt.Tooltip("abs_lift_ci_low:Q", format="+.2%", title="95% low"),
            alt.Tooltip("abs_lift_ci_high:Q", format="+.2%", title="95% high"),
            alt.Tooltip("p_value:Q", format=".4f"),
        ],
    )
    zero = alt.Chart(pd.DataFrame({"x": [0]})).mark_rule(color="#888").encode(x="x:Q")
    rows = df["variant"].nunique()
    return alt.layer(zero, bars, points).properties(height=max(140, 80 * rows))


def lifecycle_bars(df: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(df)
        .mark_bar()
        .encode(
            x=alt.X("month:T", title=None, timeUnit="yearmonth"),
            y=alt.Y("buyers:Q", title="Buyers"),
            color=alt.Color("state:N", scale=alt.Scale(domain=LIFECYCLE_ORDER), title="State"),
            order=alt.Order("state_order:Q"),
            tooltip=[
                alt.Tooltip("month:T", format="%Y-%m"),
                "state:N",
                alt.Tooltip("buyers:Q", format=","),
                alt.Tooltip("gmv:Q", format=",.2f"),
            ],
        )
        .transform_calculate(state_order=f"indexof({LIFECYCLE_ORDER!r}, datum.state)")
        .properties(height=HEIGHT)
    )


def channel_mix(df: pd.DataFrame) -> alt.Chart:
    cols = {
        "online_only_buyers": "online only",
        "offline_only_buyers": "offline only",
        "omnichannel_buyers": "omnichannel",
    }
    long = df.melt(id_vars=["month"], value_vars=list(cols), var_name="group", value_name="buyers")
    long["group"] = long["group"].map(cols)
    return (
        alt.Chart(long)
        .mark_bar()
        .encode(
            x=alt.X("month:T", title=None, timeUnit="yearmonth"),
            y=alt.Y("buyers:Q", stack="normalize", axis=alt.Axis(format="%", title="Buyers")),
            color=alt.Color(
                "group:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=0)
            ),
            tooltip=[
                alt.Tooltip("month:T", format="%Y-%m"),
                "group:N",
                alt.Tooltip("buyers:Q", format=","),
            ],
        )
        .properties(height=HEIGHT)
    )


def ship_times(df: pd.DataFrame) -> alt.Chart:
    long = df.melt(
        id_vars=["date"],
        value_vars=["ship_minutes_p50", "ship_minutes_p90"],
        var_name="percentile",
        value_name="minutes",
    )
    long["percentile"] = long["percentile"].map(
        {"ship_minutes_p50": "p50", "ship_minutes_p90": "p90"}
    )
    return (
        alt.Chart(long)
        .mark_line()
        .encode(
            x=alt.X("date:T", title=None),
            y=alt.Y("minutes:Q", title="Minutes to ship"),
            color=alt.Color(
                "percentile:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=0)
            ),
            tooltip=[
                alt.Tooltip("date:T", format="%Y-%m-%d"),
                "percentile:N",
                alt.Tooltip("minutes:Q", format=",.0f"),
            ],
        )
        .properties(height=HEIGHT)
    )


def count_bars(df: pd.DataFrame, label: str, value: str, color: str | None = None) -> alt.Chart:
    enc = {
        "y": alt.Y(f"{label}:N", sort="-x", title=None),
        "x": alt.X(f"sum({value}):Q", title=value.replace("_", " ")),
        "tooltip": [f"{label}:N", alt.Tooltip(f"sum({value}):Q", format=",")],
    }
    if color:
        enc["color"] = alt.Color(
            f"{color}:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=0)
        )
    return (
        alt.Chart(df).mark_bar().encode(**enc).properties(height=max(120, 28 * df[label].nunique()))
    )
