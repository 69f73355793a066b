"""The marketplace's calendar: festivals, the weekly rhythm, growth and the planted mobile shift.

These are the "planted truths" the warehouse must rediscover, so they live in one small module
that both the generators and `truth.json` read. Shapes follow Tmall/Taobao in 2015-2016: Double 11
(Nov 11) is the year's peak at about ten ordinary days, 618 and Double 12 are smaller peaks, the
Spring Festival empties the marketplace for a few days (couriers go home), and a few brand days
lift one brand. Wireless (app, mobile web, mini program) overtook PC during 2015 and reached 68%
of online GMV on Double 11 2015 and 82% on Double 11 2016.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from shopsight.simulator.params import SimParams


@dataclass(frozen=True)
class Festival:
    date: date
    name: str
    multiplier: float  # planted GMV relative to an ordinary day with the same trend and weekday
    brand_rank: int | None = None  # brand days: the popularity rank of the celebrated brand


# Lunar new year (Spring Festival) dates; outside these years no Spring Festival is planted.
SPRING_FESTIVAL_DAYS = {
    2013: date(2013, 2, 10),
    2014: date(2014, 1, 31),
    2015: date(2015, 2, 19),
    2016: date(2016, 2, 8),
    2017: date(2017, 1, 28),
    2018: date(2018, 2, 16),
    2019: date(2019, 2, 5),
    2020: date(2020, 1, 25),
}
# Days around new year's day and the share of an ordinary day's GMV they keep.
SPRING_FESTIVAL_SHAPE = {-1: 0.6, 0: 0.45, 1: 0.5, 2: 0.6, 3: 0.75}
# (month, day, popularity rank of the brand) of the brand days of every year.
BRAND_DAYS = ((4, 16, 3), (8, 18, 6))
BRAND_DAY_MULTIPLIER = 1.3
FIXED_FESTIVALS = (("double_11", 11, 11, 10.0), ("618", 6, 18, 3.0), ("double_12", 12, 12, 2.5))

# Monday .. Sunday: orders peak at the start of the week and dip on Friday evenings out.
WEEKDAY_MULTIPLIER = np.array([1.06, 1.02, 1.0, 0.98, 0.93, 0.97, 1.04])
YEARLY_ORDER_GROWTH = 1.35
YEARLY_SESSION_GROWTH = 1.25
YEARLY_CONTENT_GROWTH = 2.0  # the "e-commerce + media" years: content traffic doubles

# Planted wireless share of online GMV on ordinary days (linear between anchors, flat outside).
WIRELESS_ANCHORS = (
    (date(2014, 1, 1), 0.40),
    (date(2015, 1, 1), 0.50),
    (date(2015, 11, 10), 0.62),
    (date(2016, 1, 1), 0.64),
    (date(2016, 11, 10), 0.76),
    (date(2016, 12, 31), 0.78),
    (date(2018, 12, 31), 0.88),
)
# Festival days are more mobile than ordinary days; Double 11 is planted exactly.
DOUBLE_11_WIRELESS = {2015: 0.68, 2016: 0.82}
FESTIVAL_WIRELESS_BOOST = {"double_11": 0.06, "618": 0.03, "double_12": 0.03}

# Offline (store POS) orders per online order, growing with "new retail".
OFFLINE_RATIO_ANCHORS = ((date(2015, 1, 1), 0.012), (date(2016, 12, 31), 0.05))

# Hour-of-day profiles (Asia/Shanghai). Double 11 opens at midnight with a rush.
ORDER_HOURS = np.array(
    [2.0, 1.0, 0.6, 0.4, 0.3, 0.4, 0.9, 1.8, 2.8, 3.8, 4.4, 4.8,
     5.0, 4.6, 4.4, 4.4, 4.5, 4.5, 4.8, 5.8, 7.0, 8.0, 7.4, 5.0]
)  # fmt: skip
DOUBLE_11_HOURS = ORDER_HOURS + np.array([40.0, 12.0, 4.0] + [0.0] * 21)
STORE_HOURS = np.array([0.0] * 9 + [1, 3, 4, 5, 5, 5, 5, 6, 7, 8, 8, 6, 3, 0, 0], dtype=float)
CONTENT_HOURS = ORDER_HOURS + np.array([0.0] * 7 + [1.5, 2.0] + [0.0] * 3 + [2, 1] + [0.0] * 10)


def _interpolate(anchors: tuple[tuple[date, float], ...], days: list[date]) -> np.ndarray:
    xs = np.array([a.toordinal() for a, _ in anchors], dtype=float)
    ys = np.array([v for _, v in anchors])
    return np.interp([d.toordinal() for d in days], xs, ys)


def festivals_between(first: date, last: date) -> list[Festival]:
    """Every planted festival day in [first, last], sorted by date."""
    out: list[Festival] = []
    for year in range(first.year, last.year + 1):
        for name, month, day, mult in FIXED_FESTIVALS:
            out.append(Festival(date(year, month, day), name, mult))
        for month, day, rank in BRAND_DAYS:
            out.append(Festival(date(year, month, day), "brand_day", BRAND_DAY_MULTIPLIER, rank))
        new_year = SPRING_FESTIVAL_DAYS.get(year)
        if new_year:
            for offset, mult in SPRING_FESTIVAL_SHAPE.items():
                out.append(Festival(new_year + timedelta(days=offset), "spring_festival", mult))
    return sorted((f for f in out if first <= f.date <= last), key=lambda f: f.date)


@dataclass(frozen=True)
class DayCalendar:
    """Per-business-day multipliers for one simulation (arrays of length `days`)."""

    dates: list[date]
    festival: list[str | None]
    festival_multiplier: np.ndarray  # 1.0 on ordinary days
    weekday: np.ndarray
    years: np.ndarray  # years since 2015-01-01 (drives growth)
    wireless_target: np.ndarray
    offline_ratio: np.ndarray
    brand_day_rank: np.ndarray  # -1 unless a brand day
    festivals: list[Festival]

    @property
    def ordinary(self) -> np.ndarray:
        """The GMV of an ordinary day with this trend and weekday (relative units)."""
        return WEEKDAY_MULTIPLIER[self.weekday] * YEARLY_ORDER_GROWTH**self.years

    def is_double_11(self) -> np.ndarray:
        return np.array([f == "double_11" for f in self.festival])

    def is_big_festival(self) -> np.ndarray:
        return np.array([f in ("double_11", "618", "double_12") for f in self.festival])

    def index_of(self, d: date) -> int | None:
        i = (d - self.dates[0]).days
        return i if 0 <= i < len(self.dates) else None


def build_calendar(params: SimParams, dates: list[date] | None = None) -> DayCalendar:
    """The calendar of the simulated days (or of `dates`, e.g. a hypothetical first year)."""
    dates = dates if dates is not None else params.dates()
    fests = festivals_between(dates[0], dates[-1])
    by_date = {f.date: f for f in fests}
    n = len(dates)
    festival: list[str | None] = [None] * n
    mult = np.ones(n)
    brand_rank = np.full(n, -1, dtype=np.int64)
    wireless = _interpolate(WIRELESS_ANCHORS, dates)
    for i, d in enumerate(dates):
        f = by_date.get(d)
        if f is None:
            continue
        festival[i] = f.name
        mult[i] = f.multiplier
        if f.brand_rank is not None:
            brand_rank[i] = f.brand_rank
        if f.name == "double_11" and d.year in DOUBLE_11_WIRELESS:
            wireless[i] = DOUBLE_11_WIRELESS[d.year]
        else:
            wireless[i] += FESTIVAL_WIRELESS_BOOST.get(f.name, 0.0)
    years = np.array([(d - date(2015, 1, 1)).days / 365.0 for d in dates])
    return DayCalendar(
        dates=dates,
        festival=festival,
        festival_multiplier=mult,
        weekday=np.array([d.weekday() for d in dates]),
        years=years,
        wireless_target=np.clip(wireless, 0.05, 0.95),
        offline_ratio=np.clip(_interpolate(OFFLINE_RATIO_ANCHORS, dates), 0.005, 0.08),
        brand_day_rank=brand_rank,
        festivals=fests,
    )


def first_year_calendar(params: SimParams) -> DayCalendar:
    """The calendar of the 365 days from `start`, used to size volumes whatever `days` is."""
    return build_calendar(params, [params.start + timedelta(days=i) for i in range(365)])


def traffic_multiplier(festival_multiplier: np.ndarray, elasticity: float) -> np.ndarray:
    """A festival's effect on a traffic feed: `elasticity` of the GMV effect (in log terms)."""
    return np.exp(elasticity * np.log(festival_multiplier))
