"""Sidebar filters that persist across pages: date range (with presets), brand, category, style.

The widgets live in the entry script, which runs on every page, so their session state carries
from page to page. A URL may seed them once per session (`?from=2016-11-01&to=2016-11-12&
brand=B001&category=beauty&style=intl`), which makes views shareable. Whatever the widgets or
the URL say, the brand scope that queries get comes from `access.scope_for`, clamped to the
signed-in user's brands.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date

import streamlit as st

from apps import access, periods, queries
from apps.auth import User
from apps.format import STYLES, NumberStyle
from apps.snapshot import Snapshot

K_PRESET = "f_preset"
K_RANGE = "f_range"
K_BRANDS = "f_brands"
K_CATEGORIES = "f_categories"
K_STYLE = "f_style"
K_SEEDED = "_f_seeded"
K_LAST_RANGE = "_f_last_range"

DEFAULT_PRESET = periods.LAST_30


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    preset: str
    brands: tuple[str, ...]
    categories: tuple[str, ...]
    style: NumberStyle
    bounds: tuple[date, date]

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def label(self) -> str:
        if self.preset != periods.CUSTOM:
            return f"{self.preset} ({self.start:%Y-%m-%d} – {self.end:%Y-%m-%d})"
        return f"{self.start:%Y-%m-%d} – {self.end:%Y-%m-%d}"


def _param_list(name: str) -> list[str]:
    return [v for v in st.query_params.get_all(name) if v]


def _param_date(name: str) -> date | None:
    value = st.query_params.get(name)
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _seed_once(
    preset_ranges: dict[str, tuple[date, date]],
    bounds: tuple[date, date],
    brand_options: list[str],
    category_options: list[str],
) -> None:
    """Initial filter values for this session: from the URL when given, else the defaults."""
    if st.session_state.get(K_SEEDED):
        return
    start, end = _param_date("from"), _param_date("to")
    preset = st.query_params.get("preset")
    if start and end:
        st.session_state[K_PRESET] = periods.CUSTOM
        st.session_state[K_RANGE] = periods.clamp(start, end, bounds)
    else:
        chosen = preset if preset in preset_ranges else DEFAULT_PRESET
        st.session_state[K_PRESET] = chosen
        st.session_state[K_RANGE] = preset_ranges[chosen]
    # Only values that are options survive: for a brand manager the options are their brands.
    st.session_state[K_BRANDS] = [b for b in _param_list("brand") if b in brand_options]
    st.session_state[K_CATEGORIES] = [c for c in _param_list("category") if c in category_options]
    style = st.query_params.get("style") or os.environ.get("SHOPSIGHT_NUMBER_STYLE", "cn")
    st.session_state[K_STYLE] = style if style in STYLES else "cn"
    st.session_state[K_SEEDED] = True


def _apply_preset(preset_ranges: dict[str, tuple[date, date]]) -> None:
    chosen = st.session_state.get(K_PRESET)
    if chosen in preset_ranges:
        st.session_state[K_RANGE] = preset_ranges[chosen]


def _range_edited() -> None:
    st.session_state[K_PRESET] = periods.CUSTOM


def render(snap: Snapshot, user: User) -> tuple[Filters, access.BrandScope]:
    """Draw the sidebar filters and return them with the query scope they allow."""
    bounds = queries.data_bounds(snap)
    if bounds is None:
        raise LookupError("the serving file has no marketplace days (kpi_overview_daily is empty)")
    festivals = queries.festival_days(snap)
    d11 = [
        d.date() if hasattr(d, "date") else d
        for d in festivals.loc[festivals["festival_code"] == periods.DOUBLE_11, "date"]
    ]
    preset_ranges = periods.presets(bounds, d11)
    own = queries.brands(snap, access.scope_for(user))
    brand_names = dict(zip(own["brand_id"], own["brand_name"], strict=True))
    brand_options = list(access.allowed_brands(user, own["brand_id"]))
    category_options = sorted(set(own["category"]))
    _seed_once(preset_ranges, bounds, brand_options, category_options)
    # A newer snapshot may drop a brand or category that is still selected: keep only options.
    for key, options in ((K_BRANDS, brand_options), (K_CATEGORIES, category_options)):
        kept = [v for v in st.session_state.get(key) or [] if v in options]
        if kept != st.session_state.get(key):
            st.session_state[key] = kept
    # A preset follows the data: when a newer snapshot extends it, "last 7 days" moves along.
    preset = st.session_state.get(K_PRESET)
    if preset in preset_ranges and st.session_state.get(K_RANGE) != preset_ranges[preset]:
        st.session_state[K_RANGE] = preset_ranges[preset]

    with st.sidebar:
        st.subheader("Filters")
        preset_options = [*preset_ranges, periods.CUSTOM]
        if st.session_state.get(K_PRESET) not in preset_options:
            st.session_state[K_PRESET] = periods.CUSTOM
        st.selectbox(
            "Period",
            preset_options,
            key=K_PRESET,
            on_change=_apply_preset,
            args=(preset_ranges,),
        )
        picked = st.date_input(
            "Dates",
            key=K_RANGE,
            min_value=bounds[0],
            max_value=bounds[1],
            on_change=_range_edited,
            format="YYYY-MM-DD",
        )
        # While a range is half picked the widget returns one date: keep the last full range.
        if isinstance(picked, tuple | list) and len(picked) == 2:
            start, end = periods.clamp(picked[0], picked[1], bounds)
            st.session_state[K_LAST_RANGE] = (start, end)
        else:
            start, end = st.session_state.get(K_LAST_RANGE, preset_ranges[DEFAULT_PRESET])
        st.multiselect(
            "Brand" if user.is_executive else "Brand (yours)",
            brand_options,
            key=K_BRANDS,
            format_func=lambda b: brand_names.get(b, b),
            placeholder="All brands" if user.is_executive else "All your brands",
        )
        st.multiselect("Category", category_options, key=K_CATEGORIES, placeholder="All")
        st.caption("Brand and category apply to brand-level views (Mobile, brand overview).")
        st.radio(
            "Numbers",
            list(STYLES),
            key=K_STYLE,
            format_func=lambda s: STYLES[s],
            horizontal=False,
        )

    filters = Filters(
        start=start,
        end=end,
        preset=st.session_state[K_PRESET],
        brands=tuple(st.session_state.get(K_BRANDS) or ()),
        categories=tuple(st.session_state.get(K_CATEGORIES) or ()),
        style=st.session_state.get(K_STYLE, "cn"),
        bounds=bounds,
    )
    return filters, access.scope_for(user, filters.brands, filters.categories)
