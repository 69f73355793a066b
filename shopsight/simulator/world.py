"""The simulated marketplace's cast: brands, SKUs, stores, creators, buyers and anonymous people.

Reference entities are small and mostly independent of `scale` (a marketplace has a catalogue
whether it sells a thousand orders or a million); populations of people are linear in scale and
in the number of simulated days. Popularity is skewed everywhere (Zipf brands, heavy buyers,
log-normal prices), because averages over skewed data are what dashboards get wrong first.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import date

import numpy as np

from shopsight import contract
from shopsight.simulator.params import DAY_S, SimParams

N_BRANDS = 150
N_STORES = 80
N_DEPARTMENT_STORES = 20
BRAND_ZIPF = 1.1

# Log-normal list prices per category (mean and sigma of the log of the price in yuan).
PRICE_LOG = {
    "apparel": (4.6, 0.7),
    "beauty": (4.8, 0.6),
    "electronics": (6.3, 1.0),
    "food": (3.6, 0.6),
    "home": (5.0, 0.8),
    "mother_baby": (4.7, 0.7),
}
CATEGORY_SUFFIX = {
    "apparel": ("Apparel", "Fashion", "Wear", "Denim", "Knit"),
    "beauty": ("Beauty", "Cosmetics", "Skin Lab", "Fragrance", "Care"),
    "electronics": ("Tech", "Mobile", "Audio", "Digital", "Appliances"),
    "food": ("Foods", "Snacks", "Tea House", "Kitchen", "Farm"),
    "home": ("Home", "Living", "Furniture", "Bedding", "Homeware"),
    "mother_baby": ("Baby", "Kids", "Mom & Baby", "Little Ones", "Toys"),
}
STEMS = (
    "Jade", "Lotus", "Panda", "Silk", "Bamboo", "Golden", "Red Lantern", "Cloud", "River", "Peak",
    "Star", "Dragon", "Pearl", "Spring", "Autumn", "North", "Harbour", "Blue Ink", "Phoenix",
    "Crane", "Willow", "Plum", "Orchid", "Summit", "Maple", "Tiger", "Koi", "Lychee", "Magpie",
    "Osmanthus",
)  # fmt: skip
CITIES = {
    "1": ("Beijing", "Shanghai", "Guangzhou", "Shenzhen"),
    "2": ("Hangzhou", "Chengdu", "Wuhan", "Nanjing", "Chongqing", "Tianjin", "Suzhou", "Xi'an"),
    "3": ("Wuxi", "Foshan", "Hefei", "Kunming", "Nanning", "Wenzhou", "Jinhua", "Quanzhou"),
    "4": ("Yichang", "Zhuzhou", "Mianyang", "Liuzhou", "Jiujiang", "Shangrao", "Heze"),
    "rural": ("Caoxian County", "Shaji Town", "Wanyao Village", "Qingyan Town", "Suichang County"),
}
BUYER_TIERS_EARLY = np.array([0.20, 0.28, 0.25, 0.17, 0.10])
BUYER_TIERS_LATE = np.array([0.12, 0.22, 0.26, 0.22, 0.18])  # growth comes from smaller cities
CHANNEL_ONLINE, CHANNEL_OMNI, CHANNEL_OFFLINE = 0, 1, 2
CHANNEL_SHARES = np.array([0.74, 0.16, 0.10])
# Secondary (content) platforms of a buyer: weibo, youku, uc (codes into PERSON_PLATFORMS).
SECOND_PLATFORMS = np.array([1, 2, 3])
SECOND_PLATFORM_SHARES = np.array([0.6, 0.25, 0.15])
SECOND_ACCOUNT_SHARE = 0.3
CREATOR_KIND_SHARES = np.array([0.6, 0.25, 0.15])  # net_red, brand_account, media


def zipf_weights(n: int, a: float) -> np.ndarray:
    w = 1.0 / np.arange(1, n + 1) ** a
    return w / w.sum()


@dataclass
class Brands:
    names: list[str]
    category: np.ndarray  # code into contract.CATEGORIES
    is_flagship: np.ndarray
    popularity: np.ndarray  # sums to 1; index 0 is the most popular brand
    wireless_bias: np.ndarray  # some brands sell more on mobile than others


@dataclass
class Skus:
    brand: np.ndarray
    category: np.ndarray
    list_cents: np.ndarray
    brand_start: np.ndarray  # first sku index of each brand (skus are grouped by brand)
    brand_count: np.ndarray


@dataclass
class Stores:
    names: list[str]
    brand: np.ndarray  # -1 for a department store
    city: list[str]
    tier: np.ndarray  # code into contract.CITY_TIERS
    opened_day: np.ndarray  # business-day index (negative: opened before the simulation)
    weight: np.ndarray


@dataclass
class Creators:
    names: list[str]
    kind: np.ndarray  # code into contract.CREATOR_KINDS
    home_platform: np.ndarray  # code into contract.CONTENT_PLATFORMS
    brand: np.ndarray  # -1 unless a brand account
    followers0: np.ndarray
    activity: np.ndarray  # relative publishing rate


@dataclass
class Buyers:
    """The unified buyers. Arrays are per buyer; `extend` appends buyers born later."""

    start_day: np.ndarray  # first day the buyer may order (<= 0: a customer before the start)
    end_day: np.ndarray  # churned from this day on (large: never)
    gap_start: np.ndarray  # a dormant spell [gap_start, gap_end) (empty when equal)
    gap_end: np.ndarray
    weight: np.ndarray  # how often the buyer orders, relative
    channel: np.ndarray  # CHANNEL_ONLINE / CHANNEL_OMNI / CHANNEL_OFFLINE
    tier: np.ndarray
    city: np.ndarray  # index into CITIES[tier]
    registered_ts: np.ndarray
    taobao_uid: np.ndarray  # the buyer's taobao platform user id (a number)
    second_platform: np.ndarray  # -1 or a code into PERSON_PLATFORMS
    second_uid: np.ndarray
    second_link_ts: np.ndarray

    def __len__(self) -> int:
        return len(self.start_day)

    def extend(self, other: Buyers) -> np.ndarray:
        """Append `other`; returns the new buyers' indexes."""
        first = len(self)
        for f in fields(self):
            setattr(self, f.name, np.concatenate([getattr(self, f.name), getattr(other, f.name)]))
        return np.arange(first, len(self))


@dataclass
class People:
    """Anonymous people: marketplace visitors (taobao ids) and content platform users."""

    visitor_uid: np.ndarray  # taobao ids of people who are not (yet) buyers
    visitor_from: np.ndarray  # first active day
    visitor_weight: np.ndarray
    external_platform: np.ndarray  # weibo/youku/uc users who never link to a buyer
    external_uid: np.ndarray
    external_from: np.ndarray
    external_weight: np.ndarray


@dataclass
class World:
    brands: Brands
    skus: Skus
    stores: Stores
    creators: Creators
    buyers: Buyers
    people: People


def _brands(rng: np.random.Generator) -> Brands:
    cats = contract.CATEGORIES
    category = rng.choice(len(cats), N_BRANDS, p=[0.3, 0.17, 0.15, 0.14, 0.14, 0.1])
    names: list[str] = []
    stems = rng.permutation(len(STEMS))
    for i, c in enumerate(category):
        stem = STEMS[stems[i % len(STEMS)]]
        suffix = CATEGORY_SUFFIX[cats[c]][(i // len(STEMS)) % 5]
        names.append(f"{stem} {suffix}")
    # Real feeds carry names that need CSV quoting; make sure ours do too.
    names[1] = names[1].replace(" ", ", ", 1)
    names[4] = f'{names[4]} "Official"'
    return Brands(
        names=names,
        category=category.astype(np.int64),
        is_flagship=np.arange(N_BRANDS) < int(N_BRANDS * 0.6),
        popularity=zipf_weights(N_BRANDS, BRAND_ZIPF),
        wireless_bias=rng.normal(0.0, 1.0, N_BRANDS),
    )


def _skus(rng: np.random.Generator, brands: Brands, params: SimParams) -> Skus:
    total = int(np.clip(round(20_000 * params.scale), 1_500, 20_000))
    per_brand = np.maximum(
        3, np.round(total * np.sqrt(brands.popularity) / np.sqrt(brands.popularity).sum())
    )
    per_brand = per_brand.astype(np.int64)
    brand = np.repeat(np.arange(N_BRANDS), per_brand)
    category = brands.category[brand]
    mu = np.array([PRICE_LOG[c][0] for c in contract.CATEGORIES])[category]
    sigma = np.array([PRICE_LOG[c][1] for c in contract.CATEGORIES])[category]
    yuan = np.maximum(1, np.round(np.exp(rng.normal(mu, sigma))))
    list_cents = (yuan * 100 - 10).astype(np.int64)  # marketplace prices end in .90
    start = np.concatenate([[0], np.cumsum(per_brand)[:-1]])
    return Skus(brand, category, list_cents, start, per_brand)


def _stores(rng: np.random.Generator, brands: Brands, params: SimParams) -> Stores:
    tiers = rng.choice(5, N_STORES, p=[0.3, 0.35, 0.2, 0.1, 0.05])
    city_idx = [int(rng.integers(len(CITIES[contract.CITY_TIERS[t]]))) for t in tiers]
    city = [CITIES[contract.CITY_TIERS[t]][i] for t, i in zip(tiers, city_idx, strict=True)]
    brand = np.full(N_STORES, -1, dtype=np.int64)
    # Brand stores belong to popular brands of categories people buy in stores.
    store_brands = [b for b in range(60) if contract.CATEGORIES[brands.category[b]] != "food"]
    brand[N_DEPARTMENT_STORES:] = rng.choice(store_brands, N_STORES - N_DEPARTMENT_STORES)
    names = []
    for i in range(N_STORES):
        if brand[i] < 0:
            names.append(f"Intime Department Store, {city[i]} {['Plaza', 'Centre', 'Mall'][i % 3]}")
        else:
            names.append(f"{brands.names[brand[i]]} {city[i]} Store")
    # Most stores opened years ago; some open during the simulation ("new retail").
    opened = rng.integers(-2500, -30, N_STORES)
    new = rng.random(N_STORES) < 0.15
    opened[new] = rng.integers(0, max(params.days, 2), new.sum())
    return Stores(
        names, brand, city, tiers.astype(np.int64), opened, rng.lognormal(0, 0.6, N_STORES)
    )


def _creators(rng: np.random.Generator, brands: Brands, params: SimParams) -> Creators:
    n = int(np.clip(round(3_000 * params.scale), 40, 3_000))
    kind = rng.choice(3, n, p=CREATOR_KIND_SHARES)
    home = rng.choice(4, n, p=[0.3, 0.3, 0.2, 0.2])
    brand = np.where(kind == 1, rng.choice(N_BRANDS, n, p=brands.popularity), -1)
    followers_log = np.choose(kind, [9.0, 11.0, 12.0])  # net reds: thousands; media: 100k+
    followers0 = np.round(np.exp(rng.normal(followers_log, 1.0))).astype(np.int64)
    first = ("Xiao", "Da", "Ah", "Mei", "Lan", "Jun", "Yu", "Hua", "Ting", "Fei")
    last = ("Bao", "Qi", "Ling", "Xin", "Wei", "Yan", "Rui", "Han", "Lu", "Mo")
    names = []
    for i in range(n):
        if kind[i] == 1:
            names.append(f"{brands.names[brand[i]]} Official")
        elif kind[i] == 2:
            names.append(f"{STEMS[i % len(STEMS)]} Daily {i}")
        else:
            names.append(f"{first[i % 10]}{last[(i // 10) % 10]} {i}")
    activity = rng.lognormal(0, 0.8, n) * np.choose(kind, [1.5, 1.0, 0.8])
    return Creators(
        names, kind.astype(np.int64), home.astype(np.int64), brand, followers0, activity
    )


def _acquisition_days(rng: np.random.Generator, params: SimParams, fest: np.ndarray) -> np.ndarray:
    """First possible order day of buyers acquired during the simulation."""
    days = np.arange(params.days)
    rate = 420.0 * params.scale * (1 + 0.25 * days / 365.0) * np.sqrt(fest)
    counts = rng.poisson(rate)
    return np.repeat(days, counts)


def _buyers(rng: np.random.Generator, params: SimParams, fest: np.ndarray) -> Buyers:
    n_pre = max(50, round(300_000 * params.scale))
    acquired = _acquisition_days(rng, params, fest)
    start = np.concatenate([np.zeros(n_pre, dtype=np.int64), acquired.astype(np.int64)])
    n = len(start)
    # Customers from before the simulation are somewhere in their lifetime already.
    life_origin = np.where(start == 0, -rng.integers(0, 300, n), start)
    end = np.full(n, 10**6, dtype=np.int64)
    churns = rng.random(n) < 0.35
    end[churns] = np.maximum(
        start[churns] + 1, life_origin[churns] + rng.exponential(420, churns.sum()).astype(np.int64)
    )
    gap_start = np.zeros(n, dtype=np.int64)
    gap_end = np.zeros(n, dtype=np.int64)
    sleeps = rng.random(n) < 0.22
    gap_start[sleeps] = start[sleeps] + rng.integers(0, 450, sleeps.sum())
    gap_end[sleeps] = gap_start[sleeps] + rng.integers(190, 330, sleeps.sum())
    late = np.clip(start / max(params.days, 1), 0, 1)[:, None]
    tier_p = (1 - late) * BUYER_TIERS_EARLY + late * BUYER_TIERS_LATE
    tier = (rng.random(n)[:, None] > np.cumsum(tier_p, axis=1)).sum(axis=1).clip(0, 4)
    city_n = np.array([len(CITIES[t]) for t in contract.CITY_TIERS])
    city = (rng.random(n) * city_n[tier]).astype(np.int64)
    registered = np.where(
        start == 0,
        params.start_ts - rng.integers(30 * DAY_S, 6 * 365 * DAY_S, n),
        params.day_start(start) - rng.integers(600, 3 * DAY_S, n),
    )
    second = rng.random(n) < SECOND_ACCOUNT_SHARE
    second_platform = np.where(
        second, rng.choice(SECOND_PLATFORMS, n, p=SECOND_PLATFORM_SHARES), -1
    )
    link_day = np.minimum(
        np.maximum(start, 0) + rng.integers(0, max(params.days, 1), n), params.days - 1
    )
    return Buyers(
        start_day=start,
        end_day=end,
        gap_start=gap_start,
        gap_end=gap_end,
        weight=rng.lognormal(0.0, 0.9, n),
        channel=rng.choice(3, n, p=CHANNEL_SHARES).astype(np.int64),
        tier=tier.astype(np.int64),
        city=city.astype(np.int64),
        registered_ts=registered.astype(np.int64),
        taobao_uid=np.zeros(n, dtype=np.int64),  # assigned with the visitors' ids below
        second_platform=second_platform.astype(np.int64),
        second_uid=np.zeros(n, dtype=np.int64),
        second_link_ts=params.day_start(link_day) + rng.integers(0, DAY_S, n),
    )


def _people(rng: np.random.Generator, params: SimParams, buyers: Buyers) -> People:
    years = params.year_fraction()
    n_visitors = max(200, round(1_500_000 * params.scale * years))
    n_external = max(300, round(2_500_000 * params.scale * years))
    # Content audiences grow over the simulation: more people start later.
    ramp = np.linspace(1.0, 3.0, params.days)
    visitor_from = rng.choice(params.days, n_visitors, p=np.sqrt(ramp) / np.sqrt(ramp).sum())
    visitor_from[: n_visitors // 3] = 0  # a base of visitors from before the start
    external_from = rng.choice(params.days, n_external, p=ramp**2 / (ramp**2).sum())
    external_from[: n_external // 5] = 0
    # One numbering of taobao ids for buyers and anonymous visitors, shuffled so that ids do
    # not reveal who is a buyer.
    taobao = rng.permutation(len(buyers) + n_visitors) + 100_000_000
    buyers.taobao_uid = taobao[: len(buyers)].astype(np.int64)
    ext_platform = rng.choice(SECOND_PLATFORMS, n_external, p=[0.55, 0.3, 0.15])
    second_mask = buyers.second_platform >= 0
    all_platform = np.concatenate([buyers.second_platform[second_mask], ext_platform])
    # Per-platform sequential ids for secondary accounts and external users.
    all_uid = np.zeros(len(all_platform), dtype=np.int64)
    for p in SECOND_PLATFORMS:
        sel = np.flatnonzero(all_platform == p)
        all_uid[sel] = 300_000_000 + rng.permutation(len(sel))
    buyers.second_uid[second_mask] = all_uid[: second_mask.sum()]
    return People(
        visitor_uid=taobao[len(buyers) :].astype(np.int64),
        visitor_from=np.sort(visitor_from).astype(np.int64),
        visitor_weight=rng.lognormal(0.0, 0.8, n_visitors),
        external_platform=ext_platform.astype(np.int64),
        external_uid=all_uid[second_mask.sum() :],
        external_from=external_from.astype(np.int64),
        external_weight=rng.lognormal(0.0, 1.0, n_external),
    )


def build_world(params: SimParams, festival_multiplier: np.ndarray) -> World:
    brands = _brands(params.rng("world.brands"))
    buyers = _buyers(params.rng("world.buyers"), params, festival_multiplier)
    return World(
        brands=brands,
        skus=_skus(params.rng("world.skus"), brands, params),
        stores=_stores(params.rng("world.stores"), brands, params),
        creators=_creators(params.rng("world.creators"), brands, params),
        buyers=buyers,
        people=_people(params.rng("world.people"), params, buyers),
    )


ALL_CITIES = tuple(c for t in contract.CITY_TIERS for c in CITIES[t])
_CITY_OFFSET = np.cumsum([0] + [len(CITIES[t]) for t in contract.CITY_TIERS])[:-1]


def city_codes(tier: np.ndarray, city: np.ndarray) -> np.ndarray:
    """Index into ALL_CITIES of (tier, city-within-tier) pairs."""
    return _CITY_OFFSET[tier] + city


def month_starts(first: date, days: int) -> list[int]:
    """Day indexes (after day 0) that are the 1st of a month."""
    o = first.toordinal()
    return [i for i in range(1, days) if date.fromordinal(o + i).day == 1]
