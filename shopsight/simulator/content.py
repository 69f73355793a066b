"""Content: what creators publish, how people react to it, and how their audiences grow.

Creators (net reds with thousands of fans, brand accounts, media) publish videos, articles,
livestreams and headline posts on taobao_headline, weitao, youku and weibo; most of it links a few
SKUs of one brand. People on taobao, weibo, youku and uc view, like, share, follow and click
through to products. The audience grows over the two years (more people, more events per day,
and a rising click-through share), so that people clicking through to products in 2016 are more
than twice those of 2015. Clicks that led to an order come from the order generator (the buyer
clicked shortly before buying) and are merged in here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopsight.simulator.calendar import (
    CONTENT_HOURS,
    WEEKDAY_MULTIPLIER,
    YEARLY_CONTENT_GROWTH,
    DayCalendar,
    first_year_calendar,
    traffic_multiplier,
)
from shopsight.simulator.orders import Clicks, ContentCatalog
from shopsight.simulator.params import (
    CONTENT_EVENTS_PER_YEAR,
    SimParams,
    poisson_at_least,
    repeat_index,
    sample_time_of_day,
    sorted_day_times,
)
from shopsight.simulator.render import NULL_INT
from shopsight.simulator.sampling import GrowingPool, choice_by_group, recent_index
from shopsight.simulator.world import World

VIEW, LIKE, SHARE, FOLLOW, PRODUCT_CLICK = range(5)  # contract.EVENT_TYPES
SHORT_VIDEO, ARTICLE, LIVESTREAM, HEADLINE_POST = range(4)  # contract.CONTENT_TYPES
# Content type mix by platform (taobao_headline, weitao, youku, weibo).
TYPE_BY_PLATFORM = np.array(
    [
        [0.1, 0.3, 0.0, 0.6],
        [0.4, 0.2, 0.3, 0.1],
        [0.7, 0.0, 0.3, 0.0],
        [0.4, 0.5, 0.1, 0.0],
    ]
)
ITEMS_PER_DAY_AT_SCALE_1 = 400
FOLLOWERS_PER_OBSERVED_FOLLOW = 40  # a follow event in the feed stands for many real ones
ORGANIC_FOLLOWER_GROWTH = np.array([0.0025, 0.001, 0.0008])  # per day, by creator kind


def content_growth(cal: DayCalendar) -> np.ndarray:
    return YEARLY_CONTENT_GROWTH**cal.years


def product_click_share(cal: DayCalendar) -> np.ndarray:
    """Share of content events that are product clicks: rises as content turns into commerce."""
    return 0.035 + 0.035 * np.clip(cal.years / 2.0, 0.0, 1.0)


@dataclass
class ContentItems:
    """Published content, sorted by publication time (index + 1 is the content number)."""

    published_ts: np.ndarray
    creator: np.ndarray
    brand: np.ndarray  # brand_id column: -1 for brand-neutral content
    product_brand: np.ndarray  # the brand of the linked SKUs (-1 without SKUs)
    content_type: np.ndarray
    platform: np.ndarray
    sku_ptr: np.ndarray
    sku_values: np.ndarray

    def catalog(self) -> ContentCatalog:
        return ContentCatalog(self.published_ts, self.product_brand, self.sku_ptr, self.sku_values)


def build_items(params: SimParams, cal: DayCalendar, world: World) -> ContentItems:
    rng = params.rng("content.items")
    per_day = ITEMS_PER_DAY_AT_SCALE_1 * params.scale * content_growth(cal)
    day = repeat_index(poisson_at_least(rng, per_day, minimum=1))
    n = len(day)
    ts = params.day_start(day) + sample_time_of_day(rng, n, CONTENT_HOURS)
    ts[0] = params.start_ts + 60  # something to look at from the first minute
    cr = world.creators
    creator = rng.choice(len(cr.kind), n, p=cr.activity / cr.activity.sum())
    kind = cr.kind[creator]
    platform = np.where(rng.random(n) < 0.8, cr.home_platform[creator], rng.integers(0, 4, n))
    content_type = choice_by_group(rng, TYPE_BY_PLATFORM, platform)
    # Which content links products: almost all brand posts, most net-red posts, a few media ones.
    with_products = rng.random(n) < np.choose(kind, [0.75, 0.9, 0.2])
    zipf = world.brands.popularity
    product_brand = np.where(kind == 1, cr.brand[creator], rng.choice(len(zipf), n, p=zipf))
    product_brand = np.where(with_products, product_brand, -1)
    sponsored = (kind == 0) & (rng.random(n) < 0.4)
    brand = np.where((kind == 1) | sponsored, product_brand, -1)
    n_skus = np.where(with_products, rng.integers(1, 5, n), 0)
    ptr = np.concatenate([[0], np.cumsum(n_skus)]).astype(np.int64)
    b = product_brand[repeat_index(n_skus)]
    sk = world.skus
    values = sk.brand_start[b] + np.floor(sk.brand_count[b] * rng.random(len(b)) ** 2).astype(
        np.int64
    )
    order = np.argsort(ts, kind="stable")
    return _sorted_items(
        order, ts, creator, brand, product_brand, content_type, platform, ptr, values
    )


def _sorted_items(order, ts, creator, brand, product_brand, content_type, platform, ptr, values):
    new_ptr, new_values = csr_take(ptr, values, order)
    return ContentItems(
        published_ts=ts[order],
        creator=creator[order],
        brand=brand[order],
        product_brand=product_brand[order],
        content_type=content_type[order].astype(np.int64),
        platform=platform[order].astype(np.int64),
        sku_ptr=new_ptr,
        sku_values=new_values,
    )


def csr_take(
    ptr: np.ndarray, values: np.ndarray, rows: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Reorder the rows of a CSR list column (`ptr` offsets into `values`) without a loop."""
    counts = (ptr[1:] - ptr[:-1])[rows]
    new_ptr = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    within = np.arange(new_ptr[-1]) - np.repeat(new_ptr[:-1], counts)
    return new_ptr, values[np.repeat(ptr[:-1][rows], counts) + within]


@dataclass
class ContentEvents:
    """Events sorted by time (index + 1 is the event number)."""

    ts: np.ndarray
    platform: np.ndarray  # code into contract.PERSON_PLATFORMS
    uid: np.ndarray
    content: np.ndarray
    event_type: np.ndarray
    sku: np.ndarray  # -1 unless a product click
    dwell: np.ndarray  # NULL_INT unless a view


def _person_pool(params: SimParams, world: World) -> tuple[GrowingPool, np.ndarray, np.ndarray]:
    """Everyone who can react to content, with the day they start and how active they are."""
    b, p = world.buyers, world.people
    second = np.flatnonzero(b.second_platform >= 0)
    platform = np.concatenate(
        [
            np.zeros(len(b), np.int64),
            b.second_platform[second],
            np.zeros(len(p.visitor_uid), np.int64),
            p.external_platform,
        ]
    )
    uid = np.concatenate([b.taobao_uid, b.second_uid[second], p.visitor_uid, p.external_uid])
    available = np.concatenate(
        [
            np.maximum(b.start_day, 0),
            params.day_of(b.second_link_ts[second]),
            p.visitor_from,
            p.external_from,
        ]
    )
    weight = np.concatenate(
        [
            0.5 * np.sqrt(b.weight),
            np.sqrt(b.weight[second]),
            0.6 * p.visitor_weight,
            p.external_weight,
        ]
    )
    pool = GrowingPool(np.arange(len(uid)), available, weight)
    return pool, platform, uid


def build_events(
    params: SimParams, cal: DayCalendar, world: World, items: ContentItems, clicks: Clicks
) -> ContentEvents:
    rng = params.rng("content.events")
    fy = first_year_calendar(params)

    def shape(c: DayCalendar) -> np.ndarray:
        return (
            WEEKDAY_MULTIPLIER[c.weekday]
            * content_growth(c)
            * traffic_multiplier(c.festival_multiplier, 0.3)
        )

    unit = CONTENT_EVENTS_PER_YEAR * params.scale / shape(fy).sum()
    day = repeat_index(poisson_at_least(rng, unit * shape(cal), minimum=1))
    n = len(day)
    ts = np.maximum(sorted_day_times(rng, params, day, CONTENT_HOURS), items.published_ts[0] + 60)
    pool, platform_of, uid_of = _person_pool(params, world)
    person = pool.draw(rng, day)
    mean_back = max(ITEMS_PER_DAY_AT_SCALE_1 * params.scale * 10, 3)
    content = recent_index(rng, items.published_ts, ts - 1, mean_back)
    pc = product_click_share(cal)
    rest = 1.0 - pc
    probs = np.stack([0.77 * rest, 0.12 * rest, 0.06 * rest, 0.05 * rest, pc], axis=1)
    event_type = choice_by_group(rng, probs, day)
    n_skus = items.sku_ptr[content + 1] - items.sku_ptr[content]
    event_type[(event_type == PRODUCT_CLICK) & (n_skus == 0)] = VIEW
    click = event_type == PRODUCT_CLICK
    sku = np.full(n, -1, dtype=np.int64)
    pick = rng.integers(0, 1 << 30, click.sum()) % np.maximum(n_skus[click], 1)
    sku[click] = items.sku_values[items.sku_ptr[content[click]] + pick]
    dwell = np.full(n, NULL_INT, dtype=np.int64)
    view = event_type == VIEW
    dwell[view] = np.round(rng.lognormal(3.4, 0.9, view.sum())).astype(np.int64)

    # Merge the clicks that led to orders.
    m = len(clicks.ts)
    all_ts = np.concatenate([ts, clicks.ts])
    order = np.argsort(all_ts, kind="stable")
    return ContentEvents(
        ts=all_ts[order],
        platform=np.concatenate([platform_of[person], clicks.platform])[order],
        uid=np.concatenate([uid_of[person], clicks.uid])[order],
        content=np.concatenate([content, clicks.content])[order],
        event_type=np.concatenate([event_type, np.full(m, PRODUCT_CLICK)])[order],
        sku=np.concatenate([sku, clicks.sku])[order],
        dwell=np.concatenate([dwell, np.full(m, NULL_INT)])[order],
    )


@dataclass
class CreatorStats:
    """End-of-day followers: one row per creator and day."""

    creator: np.ndarray
    day: np.ndarray
    followers: np.ndarray


def build_creator_stats(
    params: SimParams, cal: DayCalendar, world: World, items: ContentItems, events: ContentEvents
) -> CreatorStats:
    cr = world.creators
    n_creators, days = len(cr.kind), params.days
    follows = events.event_type == FOLLOW
    creator_of_event = items.creator[events.content[follows]]
    event_day = np.clip(params.day_of(events.ts[follows]), 0, days - 1)
    daily_follows = np.bincount(
        creator_of_event * days + event_day, minlength=n_creators * days
    ).reshape(n_creators, days)
    organic = ORGANIC_FOLLOWER_GROWTH[cr.kind][:, None] * content_growth(cal)[None, :]
    followers = cr.followers0[:, None] * np.exp(np.cumsum(organic, axis=1))
    followers += FOLLOWERS_PER_OBSERVED_FOLLOW * np.cumsum(daily_follows, axis=1)
    return CreatorStats(
        creator=np.repeat(np.arange(n_creators), days),
        day=np.tile(np.arange(days), n_creators),
        followers=np.round(followers).astype(np.int64).ravel(),
    )
