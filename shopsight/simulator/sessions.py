"""Visits to the marketplace: the sessions behind orders, experiment sessions and browsing.

Every online order happens in a session of its buyer (logged in, shortly before the order, on the
order's terminal and traffic source). Experiment sessions come from the experiment generator.
The rest of the day's traffic is browsing by buyers (often not logged in) and by anonymous taobao
users, sized so that a year at scale 1 has about ten million sessions, with festivals drawing
crowds that convert better than ordinary days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopsight.simulator.calendar import (
    DOUBLE_11_HOURS,
    ORDER_HOURS,
    WEEKDAY_MULTIPLIER,
    YEARLY_SESSION_GROWTH,
    DayCalendar,
    first_year_calendar,
    traffic_multiplier,
)
from shopsight.simulator.experiments import Experiments
from shopsight.simulator.orders import (
    CONTENT,
    LIVESTREAM,
    MOBILE_APP,
    PC,
    SEARCH,
    Orders,
    traffic_mix,
)
from shopsight.simulator.params import (
    SESSIONS_PER_YEAR,
    SimParams,
    repeat_index,
    sample_time_of_day,
)
from shopsight.simulator.sampling import (
    GrowingPool,
    choice_by_group,
    choice_by_probability,
    recent_index,
)
from shopsight.simulator.world import World

HOME, VENUE, SEARCH_PAGE, CONTENT_PAGE, PRODUCT, STORE = range(6)  # contract.LANDING_PAGES
LATE_SHARE = 0.02  # sessions that close after midnight reach the next day's delivery
LOGGED_IN_SHARE = 0.6  # browsing buyers who are logged in


@dataclass
class Sessions:
    """All sessions, sorted by start (index + 1 is the session number)."""

    ts: np.ndarray
    visitor_uid: np.ndarray
    buyer: np.ndarray  # -1 when not logged in
    terminal: np.ndarray
    traffic: np.ndarray
    landing: np.ndarray
    content: np.ndarray
    experiment: np.ndarray  # -1, or index into the experiment plans
    variant: np.ndarray  # -1, or index into the plan's variants
    page_views: np.ndarray
    order_session: np.ndarray  # per order: index of its session (-1 for store orders)


def _landing(rng, cal: DayCalendar, day: np.ndarray, traffic: np.ndarray) -> np.ndarray:
    big = cal.is_big_festival()[day].astype(np.int64)
    mix = np.array([[0.35, 0.05, 0.2, 0.05, 0.25, 0.1], [0.2, 0.5, 0.1, 0.05, 0.1, 0.05]])
    landing = choice_by_group(rng, mix, big)
    landing[np.isin(traffic, (CONTENT, LIVESTREAM))] = CONTENT_PAGE
    landing[(traffic == SEARCH) & (landing == CONTENT_PAGE)] = SEARCH_PAGE
    return landing


def _wireless_terminals(rng, cal: DayCalendar, day: np.ndarray, extra: float) -> np.ndarray:
    wireless = rng.random(len(day)) < np.minimum(cal.wireless_target[day] + extra, 0.95)
    kind = choice_by_probability(rng, np.array([0.8, 0.13, 0.07]), len(day))
    return np.where(wireless, MOBILE_APP + kind, PC)


def build_sessions(
    params: SimParams,
    cal: DayCalendar,
    world: World,
    orders: Orders,
    exps: Experiments,
    content_published_ts: np.ndarray,
) -> Sessions:
    rng = params.rng("sessions")
    # 1. The session of each regular online order.
    own = np.flatnonzero(orders.online & (orders.experiment_session < 0))
    o_ts = np.maximum(orders.ts[own] - rng.integers(60, 2700, len(own)), params.start_ts)
    o_day = params.day_of(o_ts)
    o_landing = _landing(rng, cal, o_day, orders.traffic[own])
    # 2. Experiment sessions: the converting ones take their order's terminal.
    es = exps.sessions
    e_day = params.day_of(es.ts)
    e_terminal = _wireless_terminals(rng, cal, e_day, 0.05)
    conv = np.flatnonzero(orders.experiment_session >= 0)
    e_terminal[orders.experiment_session[conv]] = orders.terminal[conv]
    # 3. Browsing, so that the day's total follows the traffic shape.
    fy = first_year_calendar(params)

    def shape(c: DayCalendar) -> np.ndarray:
        growth = YEARLY_SESSION_GROWTH**c.years
        return (
            WEEKDAY_MULTIPLIER[c.weekday] * growth * traffic_multiplier(c.festival_multiplier, 0.7)
        )

    expected = SESSIONS_PER_YEAR * params.scale / shape(fy).sum() * shape(cal)
    taken = np.bincount(o_day, minlength=params.days) + np.bincount(e_day, minlength=params.days)
    n_browse = rng.poisson(np.maximum(expected - taken, 0.3 * expected))
    b_day = repeat_index(n_browse)
    nb = len(b_day)
    tod = sample_time_of_day(rng, nb, ORDER_HOURS)
    d11 = cal.is_double_11()[b_day]
    tod[d11] = sample_time_of_day(rng, int(d11.sum()), DOUBLE_11_HOURS)
    b_ts = np.sort(params.day_start(b_day) + tod)  # days stay grouped: times are within the day
    buyers, people = world.buyers, world.people
    by_buyer = rng.random(nb) < 0.5
    b_buyer = np.full(nb, -1, dtype=np.int64)
    pool = GrowingPool(
        np.arange(len(buyers)), np.maximum(buyers.start_day, 0), np.sqrt(buyers.weight)
    )
    b_buyer[by_buyer] = pool.draw(rng, b_day[by_buyer])
    visitors = GrowingPool(people.visitor_uid, people.visitor_from, people.visitor_weight)
    b_uid = np.where(b_buyer >= 0, buyers.taobao_uid[np.maximum(b_buyer, 0)], 0)
    b_uid[~by_buyer] = visitors.draw(rng, b_day[~by_buyer])
    b_buyer[rng.random(nb) > LOGGED_IN_SHARE] = -1
    b_traffic = choice_by_group(rng, traffic_mix(cal, online_only=True), b_day)
    b_content = np.full(nb, -1, dtype=np.int64)
    via = np.isin(b_traffic, (CONTENT, LIVESTREAM))
    b_content[via] = recent_index(rng, content_published_ts, b_ts[via] - 60, 40)
    b_traffic[via & (b_content < 0)] = SEARCH
    b_content[~np.isin(b_traffic, (CONTENT, LIVESTREAM))] = -1

    n_own, n_exp = len(own), len(es.ts)
    ts = np.concatenate([o_ts, es.ts, b_ts])
    day = np.concatenate([o_day, e_day, b_day])
    traffic = np.concatenate([orders.traffic[own], es.traffic, b_traffic])
    landing = np.concatenate(
        [o_landing, np.full(n_exp, VENUE), _landing(rng, cal, b_day, b_traffic)]
    )
    source = np.concatenate([np.zeros(n_own), np.ones(n_exp), np.full(nb, 2)]).astype(np.int8)
    page_views = np.where(
        source == 2, rng.geometric(0.35, len(ts)), 2 + rng.geometric(0.2, len(ts))
    )
    order = np.argsort(ts, kind="stable")  # mostly sorted runs: timsort merges them quickly
    rank = np.empty(len(ts), dtype=np.int64)
    rank[order] = np.arange(len(ts))
    order_session = np.full(len(orders), -1, dtype=np.int64)
    order_session[own] = rank[:n_own]
    order_session[conv] = rank[n_own + orders.experiment_session[conv]]
    none = np.full(n_own + nb, -1, dtype=np.int64)
    del day
    return Sessions(
        ts=ts[order],
        visitor_uid=np.concatenate([buyers.taobao_uid[orders.buyer[own]], es.visitor_uid, b_uid])[
            order
        ],
        buyer=np.concatenate([orders.buyer[own], es.buyer, b_buyer])[order],
        terminal=np.concatenate(
            [orders.terminal[own], e_terminal, _wireless_terminals(rng, cal, b_day, 0.05)]
        )[order],
        traffic=traffic[order],
        landing=landing[order],
        content=np.concatenate([orders.content[own], es.content, b_content])[order],
        experiment=np.concatenate([none[:n_own], es.experiment, none[n_own:]])[order],
        variant=np.concatenate([none[:n_own], es.variant, none[n_own:]])[order],
        page_views=page_views[order].astype(np.int64),
        order_session=order_session,
    )
