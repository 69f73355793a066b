"""Executive number formatting: short money and counts, percentages and changes.

Executives read "¥1.23亿" or "¥123.4M", not "123456789.01". Two styles exist because the
marketplace's own people count in 万 (10^4) and 亿 (10^8) while international readers count in
thousands and millions; the style is a per-user setting in the sidebar.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

NumberStyle = Literal["cn", "intl"]
STYLES: dict[str, str] = {"cn": "万 / 亿 (Chinese)", "intl": "K / M / B (international)"}
CURRENCY_SYMBOL = "¥"

# Largest unit first: the first one the value reaches is used.
_UNITS: dict[str, tuple[tuple[float, str], ...]] = {
    "cn": ((1e8, "亿"), (1e4, "万")),
    "intl": ((1e9, "B"), (1e6, "M"), (1e3, "K")),
}


def _missing(x: object) -> bool:
    """None, NaN and pandas' NA all mean "no value".

    Query results arrive as pandas frames, where a missing value may be `pd.NA` (which refuses
    to be used as a boolean), `NaN` or `None`; a period with no year-ago data yields any of them.
    """
    if x is None or x is pd.NA:
        return True
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def _significant(value: float) -> str:
    """Three significant digits for a scaled value: 389, 38.9, 3.89."""
    if round(value, 2) >= 100:
        return f"{value:,.0f}"
    if round(value, 2) >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def short_number(x: float | None, style: NumberStyle = "cn") -> str:
    """`1234567` -> `123万` (cn) or `1.23M` (intl): three significant digits and a unit.

    Values below the first unit keep all their digits: `¥498.36`, `9,937`.
    """
    if _missing(x):
        return "–"
    value = float(x)  # type: ignore[arg-type]
    sign = "-" if value < 0 else ""
    value = abs(value)
    for factor, suffix in _UNITS[style]:
        if value >= factor:
            return f"{sign}{_significant(value / factor)}{suffix}"
    if value == int(value):
        return f"{sign}{int(value):,}"
    return f"{sign}{value:,.2f}"


def money(x: float | None, style: NumberStyle = "cn") -> str:
    """CNY amount in the executive style: `¥1.23亿`, `¥45.6万`, `¥980.50`."""
    if _missing(x):
        return "–"
    text = short_number(x, style)
    if text.startswith("-"):
        return f"-{CURRENCY_SYMBOL}{text[1:]}"
    return f"{CURRENCY_SYMBOL}{text}"


def count(x: float | None, style: NumberStyle = "cn") -> str:
    """A count of things (orders, buyers, visitors): whole numbers below the first unit."""
    if _missing(x):
        return "–"
    value = float(x)  # type: ignore[arg-type]
    if abs(value) < _UNITS[style][-1][0]:
        return f"{round(value):,}"
    return short_number(value, style)


def exact_money(x: float | None) -> str:
    """The full amount, for tooltips and downloads: `¥1,234,567.89`."""
    if _missing(x):
        return "–"
    return f"{CURRENCY_SYMBOL}{float(x):,.2f}"  # type: ignore[arg-type]


def exact_count(x: float | None) -> str:
    if _missing(x):
        return "–"
    return f"{round(float(x)):,}"  # type: ignore[arg-type]


def percent(x: float | None, digits: int = 1) -> str:
    """A share or rate given as a fraction: `0.4567` -> `45.7%`."""
    if _missing(x):
        return "–"
    return f"{float(x) * 100:.{digits}f}%"  # type: ignore[arg-type]


def minutes(x: float | None) -> str:
    """Durations in minutes, shown as `45 min` or `3.2 h`."""
    if _missing(x):
        return "–"
    value = float(x)  # type: ignore[arg-type]
    if value >= 120:
        return f"{value / 60:.1f} h"
    return f"{value:.0f} min"


def relative_change(current: float | None, previous: float | None) -> float | None:
    """current / previous - 1, or None when there is nothing to compare with."""
    if _missing(current) or _missing(previous) or not previous:
        return None
    return float(current) / float(previous) - 1  # type: ignore[arg-type]


def change_text(current: float | None, previous: float | None, *, rate: bool = False) -> str | None:
    """How a KPI moved: `+3.2%` for amounts and counts, `+0.4 pp` for rates and shares.

    Rates are compared in percentage points because "conversion up 10%" (relative) and "up
    0.4 points" (absolute) are easily confused; executives read the points.
    """
    if rate:
        if _missing(current) or _missing(previous):
            return None
        return f"{(float(current) - float(previous)) * 100:+.1f} pp"  # type: ignore[arg-type]
    change = relative_change(current, previous)
    if change is None:
        return None
    return f"{change * 100:+.1f}%"
