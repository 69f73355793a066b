"""Date ranges: comparison periods, date-range presets and the grain of trend charts.

Pure functions over `datetime.date`, so the rules are tested without Streamlit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

DOUBLE_11 = "double_11"
# The Double 11 window runs from a week before the festival (the pre-sale build-up) to the day
# after it (the tail of the sales day in late time zones and delayed payments).
DOUBLE_11_LEAD_DAYS = 7
DOUBLE_11_TAIL_DAYS = 1

CUSTOM = "Custom"
LAST_7 = "Last 7 days of data"
LAST_30 = "Last 30 days of data"
DOUBLE_11_WINDOW = "Double 11 window"
YEAR_TO_DATE = "Year to date"
ALL_DATA = "All data"


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length that ends the day before `start`."""
    days = (end - start).days + 1
    return start - timedelta(days=days), start - timedelta(days=1)


def _year_earlier(d: date) -> date:
    try:
        return d.replace(year=d.year - 1)
    except ValueError:  # 29 February -> 28 February
        return d.replace(year=d.year - 1, day=28)


def same_period_last_year(start: date, end: date) -> tuple[date, date]:
    """The same calendar dates one year earlier."""
    return _year_earlier(start), _year_earlier(end)


def grain_for(start: date, end: date) -> str:
    """Daily points up to two months, weekly up to ~a year and a half, monthly beyond."""
    days = (end - start).days + 1
    if days <= 62:
        return "day"
    if days <= 550:
        return "week"
    return "month"


def clamp(start: date, end: date, bounds: tuple[date, date]) -> tuple[date, date]:
    """[start, end] within the data's bounds, with start <= end."""
    lo, hi = bounds
    start = min(max(start, lo), hi)
    end = min(max(end, lo), hi)
    return (start, end) if start <= end else (end, start)


def double_11_window(
    festival_dates: Iterable[date], bounds: tuple[date, date]
) -> tuple[date, date] | None:
    """The latest Double 11 inside the data (its marked days, padded), or None if there is none.

    `festival_dates` are the dates marked `double_11` in the date dimension. Without any marked
    day, 11 November of the latest year that reaches it is used.
    """
    lo, hi = bounds
    marked = sorted(d for d in festival_dates if lo <= d <= hi)
    if marked:
        year = marked[-1].year
        days = [d for d in marked if d.year == year]
        first, last = days[0], days[-1]
    else:
        year = hi.year if hi >= date(hi.year, 11, 11) else hi.year - 1
        first = last = date(year, 11, 11)
        if first < lo:
            return None
    start = first - timedelta(days=DOUBLE_11_LEAD_DAYS)
    end = last + timedelta(days=DOUBLE_11_TAIL_DAYS)
    return clamp(start, end, bounds)


def presets(
    bounds: tuple[date, date], double_11_dates: Iterable[date]
) -> dict[str, tuple[date, date]]:
    """Named date ranges relative to the data (not to today: the data is historical)."""
    lo, hi = bounds
    out = {
        LAST_7: clamp(hi - timedelta(days=6), hi, bounds),
        LAST_30: clamp(hi - timedelta(days=29), hi, bounds),
    }
    window = double_11_window(double_11_dates, bounds)
    if window is not None:
        out[DOUBLE_11_WINDOW] = window
    out[YEAR_TO_DATE] = clamp(date(hi.year, 1, 1), hi, bounds)
    out[ALL_DATA] = (lo, hi)
    return out
