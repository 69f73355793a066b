"""Orders, their lines and their shipments.

Orders are made in two steps. `plan_orders` decides how many orders each day has (the planted
festival and weekly shapes), when, through which channel, by which buyer and with which final
status; the experiment generator reads that history to pick its visitors and adds its own
converting orders. `build_orders` then gives every order its brand, lines, amounts, fulfilment,
terminal and traffic source.

The terminal is assigned last, per day, so that the day's realised wireless share of online GMV
hits the planted target even at small scale: the day's counted online orders are put in a random
order (nudged by each brand's mobile bias) and taken as wireless while they fit under the target
share of the day's GMV; an order that would overshoot is skipped and later, smaller ones fill the
gap, so the day misses its target by less than its smallest remaining order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopsight.simulator.calendar import (
    BRAND_DAY_MULTIPLIER,
    DOUBLE_11_HOURS,
    ORDER_HOURS,
    STORE_HOURS,
    DayCalendar,
    first_year_calendar,
    traffic_multiplier,
)
from shopsight.simulator.params import (
    COUNTED_ORDERS_PER_YEAR,
    DAY_S,
    SimParams,
    repeat_index,
    sample_time_of_day,
)
from shopsight.simulator.render import NULL_INT
from shopsight.simulator.sampling import (
    GrowingPool,
    choice_by_group,
    choice_by_probability,
    recent_index,
)
from shopsight.simulator.world import CHANNEL_OFFLINE, CHANNEL_OMNI, CHANNEL_ONLINE, World

PAID, CANCELLED, REFUNDED = 0, 1, 2  # codes into contract.ORDER_STATUSES
PC, MOBILE_APP, MOBILE_WEB, MINI_PROGRAM, OFFLINE_POS = 0, 1, 2, 3, 4  # contract.TERMINALS
WAREHOUSE_SHIP, STORE_SHIP, STORE_PICKUP, IN_STORE = 0, 1, 2, 3  # contract.FULFILMENTS
SEARCH, ADS, RECOMMENDATION, CONTENT, LIVESTREAM, EXTERNAL_SOCIAL, DIRECT, OFFLINE = range(8)

CANCEL_RATE = {True: 0.045, False: 0.005}  # online, offline
REFUND_RATE = {True: 0.06, False: 0.02}
LATE_POS_SHARE = 0.1  # store systems upload some days late (within the 7-day window)
# Traffic mix of online orders at the start and after two years (content and live grow).
TRAFFIC_MIX_2015 = np.array([0.38, 0.14, 0.18, 0.05, 0.02, 0.06, 0.17, 0.0])
TRAFFIC_MIX_2017 = np.array([0.32, 0.13, 0.18, 0.09, 0.06, 0.07, 0.15, 0.0])
ATTRIBUTED_TRAFFIC = np.array([0.2, 0.0, 0.2, 0.45, 0.15, 0.0, 0.0, 0.0])


def traffic_mix(cal: DayCalendar, online_only: bool = False) -> np.ndarray:
    """The traffic-source mix of each day (days x sources)."""
    x = np.clip(cal.years / 2.0, 0, 1)[:, None]
    mix = (1 - x) * TRAFFIC_MIX_2015 + x * TRAFFIC_MIX_2017
    return mix[:, :-1] if online_only else mix


def _ramp(cal: DayCalendar, day: np.ndarray, first: float, after_two_years: float) -> np.ndarray:
    """A quantity growing linearly from 2015-01-01 to 2017-01-01, flat outside."""
    x = np.clip(cal.years[day] / 2.0, 0.0, 1.0)
    return first + (after_two_years - first) * x


@dataclass
class OrderDemand:
    """Who orders when, before the orders get their content."""

    ts: np.ndarray
    online: np.ndarray
    buyer: np.ndarray
    status: np.ndarray  # final status (paid / cancelled / refunded)
    experiment: np.ndarray  # -1, or the experiment whose session converted
    experiment_session: np.ndarray  # -1, or an index into the experiment sessions

    def __len__(self) -> int:
        return len(self.ts)

    @staticmethod
    def concat(a: OrderDemand, b: OrderDemand) -> OrderDemand:
        return OrderDemand(
            *(np.concatenate([getattr(a, f), getattr(b, f)]) for f in OrderDemand.__annotations__)
        )


def daily_order_expectation(params: SimParams, cal: DayCalendar) -> tuple[np.ndarray, np.ndarray]:
    """Expected online and offline orders per day, sized so a year has the planted volume."""

    def shapes(c: DayCalendar) -> tuple[np.ndarray, np.ndarray]:
        online = c.ordinary * c.festival_multiplier
        offline = c.ordinary * c.offline_ratio * traffic_multiplier(c.festival_multiplier, 0.5)
        return online, offline

    fy_on, fy_off = shapes(first_year_calendar(params))
    per_unit = fy_on.sum() * (1 - CANCEL_RATE[True]) + fy_off.sum() * (1 - CANCEL_RATE[False])
    unit = COUNTED_ORDERS_PER_YEAR * params.scale / per_unit
    on, off = shapes(cal)
    return on * unit, off * unit


def _buyer_pool(world: World, channels: tuple[int, ...]) -> GrowingPool:
    b = world.buyers
    members = np.flatnonzero(np.isin(b.channel, channels))
    return GrowingPool(members, b.start_day[members], b.weight[members])


def buyer_accept(world: World):
    b = world.buyers

    def accept(buyers: np.ndarray, days: np.ndarray) -> np.ndarray:
        dormant = (days >= b.gap_start[buyers]) & (days < b.gap_end[buyers])
        return (days < b.end_day[buyers]) & ~dormant

    return accept


def plan_orders(params: SimParams, cal: DayCalendar, world: World) -> OrderDemand:
    """Regular orders: daily counts, times, channel, buyer and final status."""
    rng = params.rng("orders.plan")
    exp_on, exp_off = daily_order_expectation(params, cal)
    n_on, n_off = rng.poisson(exp_on), rng.poisson(exp_off)
    day = np.concatenate([repeat_index(n_on), repeat_index(n_off)])
    online = np.concatenate([np.ones(n_on.sum(), bool), np.zeros(n_off.sum(), bool)])
    tod = sample_time_of_day(rng, len(day), ORDER_HOURS)
    d11 = cal.is_double_11()[day] & online
    tod[d11] = sample_time_of_day(rng, int(d11.sum()), DOUBLE_11_HOURS)
    tod[~online] = sample_time_of_day(rng, int((~online).sum()), STORE_HOURS)
    ts = params.day_start(day) + tod
    buyer = np.empty(len(day), dtype=np.int64)
    accept = buyer_accept(world)
    buyer[online] = _buyer_pool(world, (CHANNEL_ONLINE, CHANNEL_OMNI)).draw(
        rng, day[online], accept
    )
    buyer[~online] = _buyer_pool(world, (CHANNEL_OMNI, CHANNEL_OFFLINE)).draw(
        rng, day[~online], accept
    )
    status = draw_status(rng, online)
    none = np.full(len(day), -1, dtype=np.int64)
    return OrderDemand(ts, online, buyer, status, none, none.copy())


def draw_status(rng: np.random.Generator, online: np.ndarray) -> np.ndarray:
    cancel = np.where(online, CANCEL_RATE[True], CANCEL_RATE[False])
    refund = np.where(online, REFUND_RATE[True], REFUND_RATE[False])
    u = rng.random(len(online))
    return np.where(u < cancel, CANCELLED, np.where(u < cancel + refund, REFUNDED, PAID))


@dataclass
class Clicks:
    """Product clicks on content that led to an order (the order made them attributable)."""

    order: np.ndarray
    ts: np.ndarray
    content: np.ndarray
    sku: np.ndarray
    platform: np.ndarray  # code into contract.PERSON_PLATFORMS
    uid: np.ndarray


@dataclass
class Orders:
    """Every order (sorted by time: the index + 1 is the order number) and its lines."""

    ts: np.ndarray
    day: np.ndarray
    online: np.ndarray
    buyer: np.ndarray
    status: np.ndarray  # final status
    updated_ts: np.ndarray  # updated_at of the first version
    refund_ts: np.ndarray  # updated_at of the refunded version (NULL_INT if none)
    terminal: np.ndarray
    traffic: np.ndarray
    content: np.ndarray  # the referring content of the order's session (-1 if none)
    fulfilment: np.ndarray
    store: np.ndarray
    brand: np.ndarray
    subtotal: np.ndarray  # cents
    discount: np.ndarray
    amount: np.ndarray
    experiment: np.ndarray
    experiment_session: np.ndarray
    deliver_day: np.ndarray  # delivery of the first version
    line_order: np.ndarray
    line_no: np.ndarray
    line_sku: np.ndarray
    line_qty: np.ndarray
    line_price: np.ndarray
    clicks: Clicks

    def __len__(self) -> int:
        return len(self.ts)


@dataclass
class ContentCatalog:
    """What order building needs to know about content: what was published when, with which SKUs."""

    published_ts: np.ndarray  # sorted
    product_brand: np.ndarray  # -1 for content without products
    sku_ptr: np.ndarray  # CSR offsets into sku_values
    sku_values: np.ndarray


def _pick_stores(rng, world: World, days: np.ndarray) -> np.ndarray:
    """A store open on each day (weighted by store size); -1 where none is open yet."""
    s = world.stores
    return GrowingPool(np.arange(len(s.brand)), s.opened_day, s.weight).draw(rng, days)


def _brands_for(rng, world: World, cal: DayCalendar, day: np.ndarray) -> np.ndarray:
    brand = choice_by_probability(rng, world.brands.popularity, len(day))
    rank = cal.brand_day_rank[day]
    # The day's extra GMV (multiplier - 1 of it) goes to the celebrated brand.
    celebrate = (rank >= 0) & (rng.random(len(day)) < (1 - 1 / BRAND_DAY_MULTIPLIER))
    brand[celebrate] = rank[celebrate]  # brands are indexed by popularity rank
    return brand


def _attribute(
    rng, params: SimParams, cal: DayCalendar, world: World, ts, day, online, brand, buyer, content
) -> tuple[Clicks, np.ndarray]:
    """Pick online orders preceded by a product click on content showing their brand's SKUs.

    The clicking person is the buyer, on taobao or on a linked content platform account. Returns
    the clicks and, per order, the clicked SKU (-1 if none), which becomes the order's first line.
    """
    share = _ramp(cal, day, 0.05, 0.11)
    chosen = np.flatnonzero(online & (rng.random(len(ts)) < share))
    click_ts = ts[chosen] - rng.integers(600, int(6.5 * DAY_S), len(chosen))
    click_ts = np.maximum(click_ts, params.start_ts + 1800)
    # Content with products, grouped by the products' brand and sorted by publication time.
    has_products = np.flatnonzero(content.product_brand >= 0)
    key = content.product_brand[has_products].astype(np.int64) * 2**40
    key += content.published_ts[has_products]
    order = np.argsort(key, kind="stable")
    key, items = key[order], has_products[order]
    b = brand[chosen].astype(np.int64) * 2**40
    first = np.searchsorted(key, b, side="left")
    upto = np.searchsorted(key, b + click_ts - 60, side="right")
    available = upto - first
    ok = (available > 0) & (click_ts < ts[chosen])
    back = np.minimum(rng.geometric(0.15, len(chosen)) - 1, np.maximum(available - 1, 0))
    item = items[np.maximum(upto - 1 - back, 0)]
    chosen, click_ts, item = chosen[ok], click_ts[ok], item[ok]
    n_skus = content.sku_ptr[item + 1] - content.sku_ptr[item]
    sku = content.sku_values[content.sku_ptr[item] + rng.integers(0, 1 << 30, len(item)) % n_skus]
    clicked_sku = np.full(len(ts), -1, dtype=np.int64)
    clicked_sku[chosen] = sku
    b = world.buyers
    who = buyer[chosen]
    use_second = (b.second_platform[who] >= 0) & (rng.random(len(chosen)) < 0.4)
    clicks = Clicks(
        order=chosen,
        ts=click_ts,
        content=item,
        sku=sku,
        platform=np.where(use_second, b.second_platform[who], 0),
        uid=np.where(use_second, b.second_uid[who], b.taobao_uid[who]),
    )
    return clicks, clicked_sku


def build_orders(
    params: SimParams,
    cal: DayCalendar,
    world: World,
    demand: OrderDemand,
    content: ContentCatalog,
    experiment_traffic: tuple[np.ndarray, np.ndarray],
) -> Orders:
    """Give every planned order its brand, lines, amounts, fulfilment, terminal and traffic.

    `experiment_traffic` is (traffic, content) per experiment session: an order placed in an
    experiment session inherits how that session arrived.
    """
    rng = params.rng("orders.build")
    order = np.lexsort((demand.buyer, demand.ts))
    ts, online, buyer = demand.ts[order], demand.online[order], demand.buyer[order]
    status, exp, exp_session = (
        demand.status[order],
        demand.experiment[order],
        demand.experiment_session[order],
    )
    day = params.day_of(ts)
    n = len(ts)

    # Fulfilment, store and brand.
    fulfilment = np.full(n, WAREHOUSE_SHIP, dtype=np.int64)
    u = rng.random(n)
    p_ship, p_pickup = _ramp(cal, day, 0.015, 0.07), _ramp(cal, day, 0.005, 0.03)
    fulfilment[online & (u < p_ship)] = STORE_SHIP
    fulfilment[online & (u >= p_ship) & (u < p_ship + p_pickup)] = STORE_PICKUP
    fulfilment[~online] = IN_STORE
    store = np.full(n, -1, dtype=np.int64)
    at_store = fulfilment != WAREHOUSE_SHIP
    store[at_store] = _pick_stores(rng, world, day[at_store])
    fulfilment[at_store & (store < 0)] = WAREHOUSE_SHIP  # no store open yet
    brand = _brands_for(rng, world, cal, day)
    has_store_brand = store >= 0
    has_store_brand[has_store_brand] = world.stores.brand[store[has_store_brand]] >= 0
    brand[has_store_brand] = world.stores.brand[store[has_store_brand]]

    # Content-driven orders: a product click shortly before, on content showing the brand.
    clicks, clicked_sku = _attribute(
        rng, params, cal, world, ts, day, online, brand, buyer, content
    )

    lines = _lines(rng, params, cal, world, day, brand, clicked_sku)
    line_order, line_no, line_sku, line_qty, line_price = lines
    line_total = line_qty * line_price
    subtotal = np.bincount(line_order, weights=line_total, minlength=n).astype(np.int64)
    discount = _discounts(rng, cal, day, subtotal)
    amount = subtotal - discount

    # Times of the versions: paid orders are recorded when paid; cancellations a little later
    # (same business day); refunds days later, in a later delivery.
    updated = ts.copy()
    cancel = status == CANCELLED
    day_end = params.day_start(day) + DAY_S - 1
    updated[cancel] = np.minimum(ts[cancel] + rng.integers(60, 1800, cancel.sum()), day_end[cancel])
    refund_ts = np.full(n, NULL_INT, dtype=np.int64)
    refunded = status == REFUNDED
    refund_ts[refunded] = ts[refunded] + rng.integers(DAY_S, 6 * DAY_S, refunded.sum())
    too_late = refunded & (refund_ts >= params.end_ts)
    status[too_late] = PAID  # the refund has not happened yet when the landing zone is cut
    refund_ts[too_late] = NULL_INT

    terminal = _terminals(rng, cal, day, online, status, amount, world.brands.wireless_bias[brand])
    traffic, session_content = _traffic(
        rng, cal, day, online, clicks, content, ts, exp_session, experiment_traffic
    )

    deliver_day = day.copy()
    late = ~online & (rng.random(n) < LATE_POS_SHARE)
    deliver_day[late] = np.minimum(day[late] + rng.integers(1, 3, late.sum()), params.days - 1)
    return Orders(
        ts=ts, day=day, online=online, buyer=buyer, status=status, updated_ts=updated,
        refund_ts=refund_ts, terminal=terminal, traffic=traffic, content=session_content,
        fulfilment=fulfilment, store=store, brand=brand, subtotal=subtotal, discount=discount,
        amount=amount, experiment=exp, experiment_session=exp_session, deliver_day=deliver_day,
        line_order=line_order, line_no=line_no, line_sku=line_sku, line_qty=line_qty,
        line_price=line_price, clicks=clicks,
    )  # fmt: skip


def _lines(rng, params, cal: DayCalendar, world: World, day, brand, clicked_sku):
    """Order lines: 1-8 SKUs of the order's brand (popular SKUs first), festival prices."""
    n = len(day)
    count = 1 + np.minimum(rng.poisson(1.5, n), 7)
    line_order = repeat_index(count)
    starts = np.concatenate([[0], np.cumsum(count)[:-1]])
    line_no = np.arange(len(line_order)) - starts[line_order] + 1
    skus = world.skus
    b = brand[line_order]
    pick = np.floor(skus.brand_count[b] * rng.random(len(b)) ** 2).astype(np.int64)
    sku = skus.brand_start[b] + pick
    first = starts[clicked_sku >= 0]
    sku[first] = clicked_sku[clicked_sku >= 0]
    qty = rng.choice([1, 2, 3], len(b), p=[0.82, 0.13, 0.05])
    festive = cal.is_big_festival()[day[line_order]]
    promo = np.where(
        festive,
        rng.choice([0.75, 0.85, 0.9], len(b), p=[0.3, 0.4, 0.3]),
        rng.choice([1.0, 0.95, 0.9], len(b), p=[0.7, 0.2, 0.1]),
    )
    price = (np.round(skus.list_cents[sku] * promo / 10) * 10).astype(np.int64)
    return line_order, line_no, sku, qty.astype(np.int64), price


def _discounts(rng, cal: DayCalendar, day, subtotal) -> np.ndarray:
    """Order-level coupons: '20 off every 200' on festivals, small coupons otherwise."""
    festive = cal.is_big_festival()[day]
    off_per_200 = (subtotal // 20_000) * 2_000
    festival_discount = np.where(
        rng.random(len(day)) < 0.6, np.minimum(off_per_200, subtotal // 5), 0
    )
    coupon = rng.choice([500, 1000], len(day))
    ordinary = np.where((rng.random(len(day)) < 0.12) & (subtotal >= 4 * coupon), coupon, 0)
    return np.where(festive, festival_discount, ordinary).astype(np.int64)


def _terminals(rng, cal: DayCalendar, day, online, status, amount, bias) -> np.ndarray:
    """Terminal per order; each day's counted online GMV is wireless at the planted share."""
    n = len(day)
    target = cal.wireless_target[day]
    wireless = rng.random(n) < target  # cancelled orders: no GMV, plain draw
    counted = np.flatnonzero(online & (status != CANCELLED))
    key = rng.random(len(counted)) + 0.15 * bias[counted]
    order = counted[np.lexsort((key, day[counted]))]
    d, amt = day[order], amount[order].astype(float)
    n_days = len(cal.dates)
    goal = target[order] * np.bincount(d, weights=amt, minlength=n_days)[d]
    chosen = np.zeros(len(order), dtype=bool)
    # Fill each day's wireless GMV up to the goal in key order, then top it up with the next
    # orders that still fit: a big order at the boundary is skipped instead of overshooting.
    for _ in range(4):
        gap = goal - np.bincount(d, weights=amt * chosen, minlength=n_days)[d]
        fits = ~chosen & (amt <= gap)
        cum = _cumsum_by_group(np.where(fits, amt, 0.0), d)
        chosen |= fits & (cum <= gap)
    wireless[order] = chosen
    days = np.arange(len(cal.dates))
    p_mini, p_web = _ramp(cal, days, 0.03, 0.10), _ramp(cal, days, 0.16, 0.12)
    kind = choice_by_group(rng, np.stack([1 - p_mini - p_web, p_web, p_mini], axis=1), day)
    terminal = np.where(wireless, MOBILE_APP + kind, PC)
    terminal[~online] = OFFLINE_POS
    return terminal.astype(np.int64)


def _traffic(
    rng, cal, day, online, clicks: Clicks, content: ContentCatalog, ts, exp_session, exp_traffic
):
    """Traffic source per order and the referring content of content/livestream visits."""
    n = len(day)
    traffic = choice_by_group(rng, traffic_mix(cal), day)
    session_content = np.full(n, -1, dtype=np.int64)
    attributed = clicks.order
    traffic[attributed] = choice_by_probability(rng, ATTRIBUTED_TRAFFIC, len(attributed))
    via_content = np.isin(traffic, (CONTENT, LIVESTREAM))
    session_content[attributed] = clicks.content
    others = np.flatnonzero(via_content & (session_content < 0))
    session_content[others] = recent_index(rng, content.published_ts, ts[others] - 3600, 40)
    traffic[others[session_content[others] < 0]] = SEARCH  # no content published yet
    in_exp = exp_session >= 0
    traffic[in_exp] = exp_traffic[0][exp_session[in_exp]]
    session_content[in_exp] = exp_traffic[1][exp_session[in_exp]]
    session_content[~np.isin(traffic, (CONTENT, LIVESTREAM))] = -1
    traffic[~online] = OFFLINE
    return traffic.astype(np.int64), session_content


@dataclass
class Shipments:
    """One shipment per shipped order: first recorded when shipped, again when delivered."""

    order: np.ndarray
    origin_type: np.ndarray  # code into contract.ORIGIN_TYPES
    origin: np.ndarray  # store index, or warehouse number
    shipped_ts: np.ndarray
    promised_ts: np.ndarray
    delivered_ts: np.ndarray  # NULL_INT if not delivered by the end of the simulation


PROMISE_HOURS = np.array([48, 48, 72, 72, 96])  # by city tier of the buyer
TRANSIT_MEDIAN_HOURS = np.array([26.0, 32.0, 44.0, 52.0, 70.0])


def build_shipments(params: SimParams, cal: DayCalendar, world: World, o: Orders) -> Shipments:
    """Most orders leave the warehouse within the hour; Double 11 backlogs slow everything."""
    rng = params.rng("orders.shipments")
    idx = np.flatnonzero(o.online & (o.status != CANCELLED) & (o.fulfilment != IN_STORE))
    day = o.day[idx]
    d11 = cal.is_double_11()[day]
    big = cal.is_big_festival()[day]
    from_store = o.fulfilment[idx] != WAREHOUSE_SHIP
    p_fast = _ramp(cal, day, 0.72, 0.8)
    p_fast = np.where(d11, p_fast * 0.45, np.where(big, p_fast * 0.8, p_fast))
    p_fast = np.where(from_store, np.maximum(p_fast, 0.85), p_fast)
    fast = rng.random(len(idx)) < p_fast
    minutes = np.where(
        fast,
        np.clip(rng.lognormal(np.log(20), 0.6, len(idx)), 1, 60),
        np.exp(rng.uniform(np.log(61), np.log(1800), len(idx))),
    )
    shipped = o.ts[idx] + np.round(minutes * 60).astype(np.int64)
    tier = world.buyers.tier[o.buyer[idx]]
    promise_h = PROMISE_HOURS[tier] + np.where(d11, 48, 0)
    transit_h = rng.lognormal(np.log(TRANSIT_MEDIAN_HOURS[tier]), 0.35) * np.where(d11, 1.7, 1.0)
    pickup = o.fulfilment[idx] == STORE_PICKUP
    promise_h = np.where(pickup, 24, promise_h)
    transit_h = np.where(pickup, rng.lognormal(np.log(20), 0.6, len(idx)), transit_h)
    promised = o.ts[idx] + promise_h * 3600
    delivered = shipped + np.round(transit_h * 3600).astype(np.int64)
    keep = shipped < params.end_ts
    delivered = np.where(delivered < params.end_ts, delivered, NULL_INT)
    origin_type = from_store.astype(np.int64)  # warehouse, store
    origin = np.where(from_store, o.store[idx], 1 + (o.buyer[idx] % 8))
    return Shipments(
        order=idx[keep],
        origin_type=origin_type[keep],
        origin=origin[keep],
        shipped_ts=shipped[keep],
        promised_ts=promised[keep].astype(np.int64),
        delivered_ts=delivered[keep],
    )


def _cumsum_by_group(values: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Inclusive cumulative sum restarting at each new value of the sorted `group`."""
    cum = np.cumsum(values)
    if len(cum) == 0:
        return cum
    first = np.concatenate([[True], group[1:] != group[:-1]])
    base = np.maximum.accumulate(np.where(first, cum - values, -np.inf))
    return cum - base
