"""A/B tests on the Double 11 venue pages, with planted conversion lifts.

Each experiment enrols visitors of the venue pages during its window, assigns each visitor one
variant by the planned allocation, and converts them with a planted probability that depends on
the variant and on whether the visitor is a returning buyer. The generator follows the KPI
definitions so that the warehouse can recover the planted lifts:

- a visitor is a taobao user id with sessions carrying the experiment id, all in one variant;
- a converter places a counted online order whose `session_id` is one of those sessions;
- *returning* visitors are logged in as buyers with a counted order in the 365 days before the
  start; they are chosen among buyers who do not order outside the experiment during the window,
  so "converted" cannot depend on how other orders are attributed;
- *new* visitors are logged-in buyers without orders in that year, or anonymous visitors, who
  become buyers (registered, linked) when they convert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from shopsight.simulator.calendar import (
    DOUBLE_11_HOURS,
    ORDER_HOURS,
    DayCalendar,
    traffic_multiplier,
)
from shopsight.simulator.orders import (
    CANCELLED,
    CONTENT,
    LIVESTREAM,
    PAID,
    REFUNDED,
    SEARCH,
    TRAFFIC_MIX_2015,
    OrderDemand,
)
from shopsight.simulator.params import DAY_S, SimParams, repeat_index, sample_time_of_day
from shopsight.simulator.sampling import choice_by_probability, recent_index
from shopsight.simulator.world import BUYER_TIERS_LATE, CHANNEL_ONLINE, Buyers, World

VISITORS_PER_EXPERIMENT_AT_SCALE_1 = 150_000
SEGMENT_SHARES = {"returning": 0.45, "new_buyer": 0.25, "anonymous": 0.30}
REFUND_SHARE = 0.06


@dataclass(frozen=True)
class ExperimentPlan:
    experiment_id: str
    name: str
    first_day: date
    last_day: date  # inclusive: the window ends at 23:59:59 Asia/Shanghai
    variants: tuple[str, ...]
    allocation: tuple[float, ...]
    conversion_new: float  # planted conversion of new visitors in control
    conversion_returning: float
    rel_lift: tuple[float, ...]  # planted relative lift of each variant over control

    @property
    def control(self) -> str:
        return self.variants[0]

    def conversion(self, variant: int, returning: bool) -> float:
        base = self.conversion_returning if returning else self.conversion_new
        return base * (1.0 + self.rel_lift[variant])


VARIANTS = ("control", "personalized_basic", "personalized_advanced")
PLANS = (
    ExperimentPlan(
        "exp_d11_venue_2015",
        "Double 11 2015 venue personalisation",
        date(2015, 11, 1),
        date(2015, 11, 11),
        VARIANTS,
        (0.5, 0.25, 0.25),
        0.04,
        0.09,
        (0.0, 0.3, 0.8),
    ),
    ExperimentPlan(
        "exp_d11_venue_2016",
        "Double 11 2016 venue personalisation",
        date(2016, 11, 1),
        date(2016, 11, 11),
        VARIANTS,
        (0.5, 0.25, 0.25),
        0.045,
        0.10,
        (0.0, 0.25, 0.6),
    ),
)


def plans_in(params: SimParams) -> list[ExperimentPlan]:
    """Experiments whose whole window lies inside the simulated days."""
    last = params.date_of(params.days - 1)
    return [p for p in PLANS if params.start <= p.first_day and p.last_day <= last]


@dataclass
class ExperimentSessions:
    """Sessions of enrolled visitors (the experiment's share of the venue traffic)."""

    ts: np.ndarray
    visitor_uid: np.ndarray  # taobao user id
    buyer: np.ndarray  # -1 when not logged in
    experiment: np.ndarray  # index into `plans`
    variant: np.ndarray  # index into the plan's variants
    traffic: np.ndarray
    content: np.ndarray


@dataclass
class Experiments:
    plans: list[ExperimentPlan]
    sessions: ExperimentSessions
    orders: OrderDemand  # the converting orders (experiment_session points into `sessions`)


def window(params: SimParams, plan: ExperimentPlan) -> tuple[int, int]:
    """First and last business-day index of the experiment."""
    return (plan.first_day - params.start).days, (plan.last_day - params.start).days


def _history(demand: OrderDemand, n_buyers: int, lo: int, hi: int) -> np.ndarray:
    """Per buyer: whether they have a counted order with start time in [lo, hi)."""
    sel = (demand.ts >= lo) & (demand.ts < hi) & (demand.status != CANCELLED)
    return np.bincount(demand.buyer[sel], minlength=n_buyers) > 0


def _any_order(demand: OrderDemand, n_buyers: int, lo: int, hi: int) -> np.ndarray:
    sel = (demand.ts >= lo) & (demand.ts < hi)
    return np.bincount(demand.buyer[sel], minlength=n_buyers) > 0


def _new_buyers(
    rng, params: SimParams, registered_ts: np.ndarray, taobao_uid: np.ndarray
) -> Buyers:
    """Buyers born by converting in an experiment (they sign up to pay)."""
    n = len(registered_ts)
    day = params.day_of(registered_ts)
    return Buyers(
        start_day=day,
        end_day=np.full(n, 10**6, dtype=np.int64),
        gap_start=np.zeros(n, dtype=np.int64),
        gap_end=np.zeros(n, dtype=np.int64),
        weight=rng.lognormal(0.0, 0.9, n),
        channel=np.full(n, CHANNEL_ONLINE, dtype=np.int64),
        tier=rng.choice(5, n, p=BUYER_TIERS_LATE).astype(np.int64),
        city=rng.integers(0, 4, n).astype(np.int64),
        registered_ts=registered_ts.astype(np.int64),
        taobao_uid=taobao_uid.astype(np.int64),
        second_platform=np.full(n, -1, dtype=np.int64),
        second_uid=np.zeros(n, dtype=np.int64),
        second_link_ts=registered_ts.astype(np.int64),
    )


def build_experiments(
    params: SimParams,
    cal: DayCalendar,
    world: World,
    demand: OrderDemand,
    content_published_ts: np.ndarray,
) -> Experiments:
    """Enrol visitors, give them sessions and variants, and plant their conversions.

    Buyers born by converting anonymous visitors are appended to `world.buyers`.
    """
    rng = params.rng("experiments")
    plans = plans_in(params)
    parts: list[dict[str, np.ndarray]] = []
    conv: list[dict[str, np.ndarray]] = []
    used = np.zeros(len(world.buyers), dtype=bool)
    used_anon = np.zeros(len(world.people.visitor_uid), dtype=bool)
    session_offset = 0
    for e, plan in enumerate(plans):
        d0, d1 = window(params, plan)
        start_ts, end_ts = int(params.day_start(d0)), int(params.day_start(d1 + 1))
        n_days = d1 - d0 + 1
        n_vis = max(30, round(VISITORS_PER_EXPERIMENT_AT_SCALE_1 * params.scale * n_days / 11))
        b = world.buyers
        nb = len(b)
        busy = _any_order(demand, nb, start_ts, end_ts) | used
        before = _history(demand, nb, start_ts - 365 * DAY_S, start_ts)
        returning_pool = np.flatnonzero(before & ~busy)
        quiet = ~_history(demand, nb, start_ts - 365 * DAY_S, end_ts)
        new_pool = np.flatnonzero(quiet & ~busy & (b.registered_ts < start_ts) & (b.channel != 2))
        anon_pool = np.flatnonzero((world.people.visitor_from <= d0) & ~used_anon)
        want = {k: round(n_vis * s) for k, s in SEGMENT_SHARES.items()}
        ret = rng.choice(returning_pool, min(want["returning"], len(returning_pool)), replace=False)
        new = rng.choice(new_pool, min(want["new_buyer"], len(new_pool)), replace=False)
        anon = rng.choice(anon_pool, min(want["anonymous"], len(anon_pool)), replace=False)
        used[ret] = used[new] = True
        used_anon[anon] = True
        visitor_buyer = np.concatenate([ret, new, np.full(len(anon), -1)]).astype(np.int64)
        visitor_uid = np.concatenate(
            [b.taobao_uid[ret], b.taobao_uid[new], world.people.visitor_uid[anon]]
        ).astype(np.int64)
        returning = np.concatenate([np.ones(len(ret), bool), np.zeros(len(new) + len(anon), bool)])
        nv = len(visitor_uid)
        variant = choice_by_probability(rng, np.array(plan.allocation), nv)

        # Sessions: 1-5 per visitor, on window days weighted by the day's traffic.
        per_visitor = 1 + np.minimum(rng.poisson(0.7, nv), 4)
        owner = repeat_index(per_visitor)
        day_w = traffic_multiplier(cal.festival_multiplier[d0 : d1 + 1], 0.7)
        s_day = d0 + choice_by_probability(rng, day_w, len(owner))
        tod = sample_time_of_day(rng, len(owner), ORDER_HOURS)
        d11 = cal.is_double_11()[s_day]
        tod[d11] = sample_time_of_day(rng, int(d11.sum()), DOUBLE_11_HOURS)
        s_ts = params.day_start(s_day) + tod
        order = np.lexsort((s_ts, owner))  # sessions grouped by visitor, in time order
        owner, s_ts = owner[order], s_ts[order]
        traffic = choice_by_probability(rng, TRAFFIC_MIX_2015, len(owner))
        s_content = np.full(len(owner), -1, dtype=np.int64)
        via = np.isin(traffic, (CONTENT, LIVESTREAM))
        s_content[via] = recent_index(rng, content_published_ts, s_ts[via] - 3600, 40)
        traffic[via & (s_content < 0)] = SEARCH

        # Conversion: planted probability by variant and segment, in one of the visitor's sessions.
        base = np.where(returning, plan.conversion_returning, plan.conversion_new)
        p = base * (1.0 + np.array(plan.rel_lift)[variant])
        converts = rng.random(nv) < p
        first_session = np.concatenate([[0], np.cumsum(per_visitor)[:-1]])
        which = first_session + rng.integers(0, 1 << 30, nv) % per_visitor
        conv_visitors = np.flatnonzero(converts)
        conv_session = which[conv_visitors]
        order_ts = s_ts[conv_session] + rng.integers(120, 2400, len(conv_visitors))
        order_ts = np.minimum(order_ts, params.end_ts - 1)
        order_buyer = visitor_buyer[conv_visitors].copy()
        # Anonymous converters sign up just before paying.
        born = order_buyer < 0
        new_buyers = _new_buyers(rng, params, order_ts[born] - 60, visitor_uid[conv_visitors[born]])
        order_buyer[born] = world.buyers.extend(new_buyers)
        used = np.concatenate([used, np.ones(born.sum(), bool)])

        session_buyer = visitor_buyer[owner]
        session_buyer[conv_session[born]] = order_buyer[born]  # logged in to pay
        parts.append(
            {
                "ts": s_ts,
                "visitor_uid": visitor_uid[owner],
                "buyer": session_buyer,
                "experiment": np.full(len(owner), e),
                "variant": variant[owner],
                "traffic": traffic,
                "content": s_content,
            }
        )
        status = np.where(rng.random(len(conv_visitors)) < REFUND_SHARE, REFUNDED, PAID)
        conv.append(
            {
                "ts": order_ts,
                "buyer": order_buyer,
                "status": status,
                "experiment": np.full(len(conv_visitors), e),
                "experiment_session": session_offset + conv_session,
            }
        )
        session_offset += len(owner)

    def cat(items: list[dict[str, np.ndarray]], key: str) -> np.ndarray:
        return (
            np.concatenate([x[key] for x in items]).astype(np.int64)
            if items
            else np.zeros(0, np.int64)
        )

    sessions = ExperimentSessions(*(cat(parts, k) for k in ExperimentSessions.__annotations__))
    n_conv = len(cat(conv, "ts"))
    orders = OrderDemand(
        ts=cat(conv, "ts"),
        online=np.ones(n_conv, bool),
        buyer=cat(conv, "buyer"),
        status=cat(conv, "status"),
        experiment=cat(conv, "experiment"),
        experiment_session=cat(conv, "experiment_session"),
    )
    return Experiments(plans, sessions, orders)
