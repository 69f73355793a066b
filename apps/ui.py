"""Shared page pieces: the page context, KPI cards, downloadable tables and empty states."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from apps import access
from apps.access import BrandScope
from apps.auth import User
from apps.filters import Filters
from apps.snapshot import Snapshot

CONTEXT_KEY = "_shopsight_page_context"


@dataclass(frozen=True)
class PageContext:
    """What every page needs for one script run, resolved once by the entry script."""

    user: User
    snap: Snapshot
    filters: Filters
    scope: BrandScope
    publish: dict[str, Any]


def page_context(page: str) -> PageContext:
    """The context of this run; stops the page if the user may not see it."""
    ctx: PageContext | None = st.session_state.get(CONTEXT_KEY)
    if ctx is None:
        st.warning("Please open the dashboard from its start page.")
        st.stop()
    if not access.may_see(ctx.user, page):
        # Navigation never offers these pages to the role; this guards direct links.
        st.error("This page is not available for your role.")
        st.stop()
    return ctx  # type: ignore[return-value]


@dataclass(frozen=True)
class Kpi:
    label: str
    value: str
    vs_previous: str | None = None
    vs_last_year: str | None = None
    help: str | None = None
    inverse: bool = False  # a rise is bad (e.g. ship time)
    note: str | None = None  # replaces the year-on-year line when there is no such comparison
    exact: str | None = None  # the unrounded value, shown in the tooltip


COMPARISON_LEGEND = (
    "Arrows: change against the previous period of the same length. YoY: against the same "
    "dates one year earlier. Rates change in percentage points (pp)."
)


def kpi_row(kpis: Sequence[Kpi], per_row: int = 5, *, legend: bool = True) -> None:
    """KPI cards: the value, its change vs the previous period and vs last year."""
    for i in range(0, len(kpis), per_row):
        cols = st.columns(per_row)
        for col, kpi in zip(cols, kpis[i : i + per_row], strict=False):
            tip = " ".join(t for t in (kpi.help, f"Exact: {kpi.exact}." if kpi.exact else "") if t)
            with col, st.container(border=True):
                st.metric(
                    kpi.label,
                    kpi.value,
                    delta=kpi.vs_previous,
                    delta_color="inverse" if kpi.inverse else "normal",
                    help=tip or None,
                )
                st.caption(kpi.note if kpi.note is not None else f"YoY {kpi.vs_last_year or '–'}")
    if legend and any(k.note is None for k in kpis):
        st.caption(COMPARISON_LEGEND)


def _file_name(name: str, ctx: PageContext | None) -> str:
    slug = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    if ctx is not None:
        slug += f"_{ctx.filters.start:%Y%m%d}_{ctx.filters.end:%Y%m%d}"
    return f"shopsight_{slug}.csv"


_PERCENT_SUFFIXES = ("_share", "_rate", "growth", "lift", "_ci_low", "_ci_high")
_MONEY_WORDS = ("gmv", "net_sales", "aov", "amount")


def auto_column_config(df: pd.DataFrame) -> dict[str, Any]:
    """Readable defaults by column name and type: dates without midnight, shares as percent."""
    config: dict[str, Any] = {}
    for col in df.columns:
        series = df[col]
        if pd.api.types.is_datetime64_any_dtype(series):
            values = series.dropna()
            midnight = values.empty or bool((values == values.dt.normalize()).all())
            config[col] = (
                st.column_config.DateColumn(format="YYYY-MM-DD")
                if midnight
                else st.column_config.DatetimeColumn(format="YYYY-MM-DD HH:mm")
            )
        elif pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
            if col.endswith(_PERCENT_SUFFIXES):
                config[col] = st.column_config.NumberColumn(format="percent")
            elif any(word in col for word in _MONEY_WORDS):
                config[col] = st.column_config.NumberColumn(format="%.2f")
    return config


def table(
    df: pd.DataFrame,
    name: str,
    *,
    ctx: PageContext | None = None,
    column_config: dict[str, Any] | None = None,
    height: int | str = "auto",
) -> None:
    """A table and a button to download exactly these rows as CSV."""
    config = {**auto_column_config(df), **(column_config or {})}
    st.dataframe(df, hide_index=True, column_config=config, height=height)
    st.download_button(
        f"Download {name} (CSV)",
        data=df.to_csv(index=False).encode("utf-8"),
        file_name=_file_name(name, ctx),
        mime="text/csv",
        key=f"dl_{_file_name(name, None)}",
        on_click="ignore",
        icon=":material/download:",
    )


def chart(c: alt.TopLevelMixin) -> None:
    st.altair_chart(c, width="stretch")


def scope_caption(ctx: PageContext, names: dict[str, str] | None = None) -> str:
    if ctx.scope.brands is None:
        brands = "all brands"
    else:
        shown = [names.get(b, b) if names else b for b in ctx.scope.brands]
        brands = ", ".join(shown)
    cats = ", ".join(ctx.scope.categories) if ctx.scope.categories else "all categories"
    return f"{brands} · {cats}"


def marketplace_note() -> None:
    st.caption("Marketplace-wide figures: the brand and category filters do not apply here.")


def empty(message: str = "No data for this period.") -> None:
    st.info(message)


def no_data_page(
    snapshot_exists: Callable[[], bool], reason: str = "No data published yet"
) -> None:
    st.title("Shopsight")
    st.info(
        f"{reason} — run `shopsight run` (or `make demo`) to build the warehouse and publish "
        "the serving snapshot. This page opens the dashboard as soon as it exists."
    )

    @st.fragment(run_every=5)
    def _wait_for_snapshot() -> None:
        if snapshot_exists():
            st.rerun(scope="app")

    _wait_for_snapshot()
