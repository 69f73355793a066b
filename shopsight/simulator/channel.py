"""Identity links and paid-traffic spend (the `channel` source besides sessions).

Identity: every buyer's taobao account is linked to the buyer (customers from before the
simulation are backfilled on the first day, when the identity service starts delivering; new
buyers are linked when they register); some buyers also link a weibo, youku or uc account, at
some point during the simulation. Anonymous visitors and content users stay unlinked.

Ad spend: the most popular brands buy traffic on a few paid sources every day, more before
festivals; clicks never exceed impressions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from shopsight.simulator.calendar import DayCalendar, traffic_multiplier
from shopsight.simulator.orders import ADS, EXTERNAL_SOCIAL, LIVESTREAM, RECOMMENDATION, SEARCH
from shopsight.simulator.params import SimParams
from shopsight.simulator.world import World

ADVERTISERS = 20
PAID_SOURCES = np.array([SEARCH, ADS, RECOMMENDATION, LIVESTREAM, EXTERNAL_SOCIAL])
SOURCES_PER_BRAND = 3
LIVESTREAM_ADS_FROM_YEARS = 1.33  # livestream ads start in May 2016


@dataclass
class IdentityLinks:
    platform: np.ndarray  # code into contract.PERSON_PLATFORMS
    uid: np.ndarray
    buyer: np.ndarray
    linked_ts: np.ndarray


def build_identity_links(params: SimParams, world: World) -> IdentityLinks:
    rng = params.rng("channel.identity")
    b = world.buyers
    n = len(b)
    backfill = params.start_ts + rng.integers(0, 3600, n)
    taobao_ts = np.where(b.registered_ts >= params.start_ts, b.registered_ts, backfill)
    second = np.flatnonzero(b.second_platform >= 0)
    return IdentityLinks(
        platform=np.concatenate([np.zeros(n, np.int64), b.second_platform[second]]),
        uid=np.concatenate([b.taobao_uid, b.second_uid[second]]),
        buyer=np.concatenate([np.arange(n), second]).astype(np.int64),
        linked_ts=np.concatenate([taobao_ts, b.second_link_ts[second]]).astype(np.int64),
    )


@dataclass
class AdSpend:
    day: np.ndarray
    brand: np.ndarray
    source: np.ndarray  # code into contract.TRAFFIC_SOURCES
    spend_cents: np.ndarray
    impressions: np.ndarray
    clicks: np.ndarray


def build_ad_spend(params: SimParams, cal: DayCalendar, world: World) -> AdSpend:
    rng = params.rng("channel.ad_spend")
    brands = np.arange(ADVERTISERS)
    sources = np.stack(
        [rng.choice(PAID_SOURCES, SOURCES_PER_BRAND, replace=False) for _ in brands]
    )  # a few rows: one per advertiser
    brand = np.tile(np.repeat(brands, SOURCES_PER_BRAND), params.days)
    source = np.tile(sources.ravel(), params.days)
    day = np.repeat(np.arange(params.days), ADVERTISERS * SOURCES_PER_BRAND)
    keep = (source != LIVESTREAM) | (cal.years[day] >= LIVESTREAM_ADS_FROM_YEARS)
    brand, source, day = brand[keep], source[keep], day[keep]
    # Spend follows the brand's size and the marketplace's volume; festivals draw more.
    budget_yuan = 2_000_000 * params.scale * world.brands.popularity[brand]
    season = cal.ordinary[day] * traffic_multiplier(cal.festival_multiplier[day], 0.8)
    spend_yuan = budget_yuan * season * rng.lognormal(0, 0.3, len(day))
    impressions = np.round(spend_yuan * rng.uniform(20, 60, len(day))).astype(np.int64)
    clicks = rng.binomial(impressions, rng.uniform(0.005, 0.03, len(day))).astype(np.int64)
    return AdSpend(
        day=day,
        brand=brand,
        source=source,
        spend_cents=np.round(spend_yuan * 100).astype(np.int64),
        impressions=impressions,
        clicks=clicks,
    )
