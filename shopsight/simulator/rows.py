"""Landing rows: every generated record as a row of a contract entity, with its delivery.

This is the seam between generating (domain arrays: orders, sessions, ...) and writing files.
A `Rows` holds one entity's rows as typed columns in the simulator's internal encoding (integer
ids, enum codes, epoch seconds, cents) plus where each row lands: the delivery day (`dt`), the
file inside that day's folder, and its position in the file. Faults, the writer and the truth
all work on `Rows`, so each of them sees exactly what lands.

`KINDS` says how each internal column is written (`("id", "O", 10)` is `O0000000042`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from shopsight import contract
from shopsight.simulator import render
from shopsight.simulator.channel import AdSpend, IdentityLinks
from shopsight.simulator.content import ContentEvents, ContentItems, CreatorStats
from shopsight.simulator.experiments import VARIANTS, ExperimentPlan, window
from shopsight.simulator.orders import CANCELLED, PAID, REFUNDED, Orders, Shipments
from shopsight.simulator.params import SimParams
from shopsight.simulator.render import NULL_INT
from shopsight.simulator.sessions import Sessions
from shopsight.simulator.world import ALL_CITIES, World, city_codes, month_starts

Kind = tuple[object, ...]
PERSON_PREFIXES = ("tb", "wb", "yk", "uc")  # by contract.PERSON_PLATFORMS
ORDER_ID = ("id", "O", 10)
BUYER_ID = ("id", "B", 8)
BRAND_ID = ("id", "BR", 4)
SKU_ID = ("id", "SKU", 7)
STORE_ID = ("id", "ST", 4)
SESSION_ID = ("id", "S", 10)
CONTENT_ID = ("id", "C", 8)
CREATOR_ID = ("id", "CR", 5)
TS, MONEY, INT, DATE, BOOL, TEXT, ENUM = (
    ("ts",),
    ("money",),
    ("int",),
    ("date",),
    ("bool",),
    ("text",),
    ("enum",),
)

KINDS: dict[str, dict[str, Kind]] = {
    "orders": {
        "order_id": ORDER_ID, "buyer_id": BUYER_ID, "brand_id": BRAND_ID, "order_ts": TS,
        "terminal": ENUM, "traffic_source": ENUM, "session_id": SESSION_ID, "store_id": STORE_ID,
        "fulfilment": ENUM, "status": ENUM, "order_amount": MONEY, "discount_amount": MONEY,
        "currency": ENUM, "updated_at": TS,
    },
    "order_items": {
        "order_id": ORDER_ID, "line_no": INT, "sku_id": SKU_ID, "quantity": INT,
        "unit_price": MONEY,
    },
    "shipments": {
        "order_id": ORDER_ID, "origin_type": ENUM, "origin_id": TEXT, "shipped_ts": TS,
        "promised_delivery_ts": TS, "delivered_ts": TS, "updated_at": TS,
    },
    "content_items": {
        "content_id": CONTENT_ID, "creator_id": CREATOR_ID, "brand_id": BRAND_ID,
        "content_type": ENUM, "platform": ENUM, "published_ts": TS, "sku_ids": ("skus",),
    },
    "content_events": {
        "event_id": ("id", "E", 10), "event_ts": TS, "platform": ENUM,
        "platform_user_id": ("person", "platform"), "content_id": CONTENT_ID, "event_type": ENUM,
        "sku_id": SKU_ID, "dwell_seconds": INT,
    },
    "creator_stats": {"dt": DATE, "creator_id": CREATOR_ID, "followers": INT},
    "sessions": {
        "session_id": SESSION_ID, "visitor_id": ("id", "tb", 9), "buyer_id": BUYER_ID,
        "session_start_ts": TS, "terminal": ENUM, "traffic_source": ENUM, "landing_page": ENUM,
        "content_id": CONTENT_ID, "experiment_id": TEXT, "variant": TEXT,
        "page_views": INT,
    },
    "ad_spend": {
        "dt": DATE, "brand_id": BRAND_ID, "traffic_source": ENUM, "spend_amount": MONEY,
        "impressions": INT, "clicks": INT,
    },
    "identity_links": {
        "platform": ENUM, "platform_user_id": ("person", "platform"), "buyer_id": BUYER_ID,
        "linked_at": TS,
    },
    "brands": {"brand_id": BRAND_ID, "brand_name": TEXT, "category": ENUM, "is_flagship": BOOL},
    "skus": {"sku_id": SKU_ID, "brand_id": BRAND_ID, "category": ENUM, "list_price": MONEY},
    "stores": {
        "store_id": STORE_ID, "store_name": TEXT, "brand_id": BRAND_ID, "city": TEXT,
        "city_tier": ENUM, "opened_on": DATE,
    },
    "buyers": {
        "buyer_id": BUYER_ID, "registered_at": TS, "city": ("enum", ALL_CITIES), "city_tier": ENUM,
    },
    "creators": {
        "creator_id": CREATOR_ID, "creator_name": TEXT, "home_platform": ENUM, "kind": ENUM,
        "brand_id": BRAND_ID,
    },
    "experiments": {
        "experiment_id": TEXT, "experiment_name": TEXT, "start_ts": TS, "end_ts": TS,
        "control_variant": TEXT, "allocation": TEXT,
    },
}  # fmt: skip

RESEND_SHARE = 0.003  # content events delivered again the next day (valid: staging dedupes)
LATE_EVENT_SHARE = 0.04
LATE_SESSION_SHARE = 0.02
STORE_LISTED_DAYS_AHEAD = 60  # a store is in the master data two months before it opens


def enum_values(entity: str, column: str) -> tuple[str, ...]:
    kind = KINDS[entity][column]
    if len(kind) > 1:
        return kind[1]  # type: ignore[return-value]
    values = contract.entity(entity).column(column).enum
    if values is None:
        raise KeyError(f"{entity}.{column} is written as an enum but the contract has no values")
    return values


@dataclass
class Rows:
    """One entity's landing rows (internal encoding) and where each lands."""

    entity: contract.Entity
    values: dict[str, np.ndarray | pa.Array]
    dt: np.ndarray  # delivery day index
    file: np.ndarray  # index into `files`
    files: tuple[str, ...]
    sort_key: np.ndarray  # position within its file
    tz: np.ndarray  # timestamp offset code per row (render.TZ_SUFFIXES)
    uid: np.ndarray = field(default=None)  # type: ignore[assignment]
    origin: np.ndarray = field(default=None)  # type: ignore[assignment]
    parent: np.ndarray | None = None  # the order a sales row belongs to (fault cascades)
    sku_lists: tuple[np.ndarray, np.ndarray] | None = None  # CSR for content_items.sku_ids
    version: np.ndarray | None = None  # 1 for first versions, 2 for later ones

    def __post_init__(self) -> None:
        n = len(self.dt)
        if self.uid is None:
            self.uid = np.arange(n, dtype=np.int64)
        if self.origin is None:
            self.origin = self.uid.copy()
        for name, v in self.values.items():
            if len(v) != n:
                raise ValueError(f"{self.entity.name}.{name}: {len(v)} values for {n} rows")

    def __len__(self) -> int:
        return len(self.dt)

    @property
    def name(self) -> str:
        return self.entity.name

    def take(self, idx: np.ndarray) -> dict[str, np.ndarray | pa.Array]:
        """Column values of the rows at positions `idx`."""
        out: dict[str, np.ndarray | pa.Array] = {}
        for k, v in self.values.items():
            out[k] = v.take(pa.array(idx)) if isinstance(v, pa.Array) else v[idx]
        return out

    def append_copies(self, positions: np.ndarray, dt: np.ndarray | None = None) -> np.ndarray:
        """Append copies of the rows at `positions` (same file; `dt` may differ); returns uids."""
        new_uid = np.arange(len(positions)) + (int(self.uid.max()) + 1 if len(self) else 0)
        for k, v in self.values.items():
            if isinstance(v, pa.Array):
                self.values[k] = pa.concat_arrays([v, v.take(pa.array(positions))])
            else:
                self.values[k] = np.concatenate([v, v[positions]])
        self.dt = np.concatenate([self.dt, self.dt[positions] if dt is None else dt])
        self.file = np.concatenate([self.file, self.file[positions]])
        self.sort_key = np.concatenate([self.sort_key, self.sort_key[positions]])
        self.tz = np.concatenate([self.tz, self.tz[positions]])
        self.origin = np.concatenate([self.origin, self.origin[positions]])
        self.uid = np.concatenate([self.uid, new_uid])
        if self.parent is not None:
            self.parent = np.concatenate([self.parent, self.parent[positions]])
        if self.version is not None:
            self.version = np.concatenate([self.version, self.version[positions]])
        return new_uid


def _plus1(ids: np.ndarray) -> np.ndarray:
    """Internal 0-based indexes to 1-based id numbers, keeping -1 as null."""
    return np.where(ids >= 0, ids + 1, -1)


def _files(e: contract.Entity, *names: str) -> tuple[str, ...]:
    return tuple(f"{n}.{e.format}" for n in (names or (e.name,)))


def order_rows(params: SimParams, o: Orders, session: np.ndarray) -> tuple[Rows, Rows]:
    rng = params.rng("rows.orders")
    n = len(o)
    refunded = np.flatnonzero(o.refund_ts != NULL_INT)
    idx = np.concatenate([np.arange(n), refunded])
    first = np.arange(len(idx)) < n
    status = np.where(first, np.where(o.status[idx] == CANCELLED, CANCELLED, PAID), REFUNDED)
    updated = np.where(first, o.updated_ts[idx], o.refund_ts[idx])
    dt = np.where(first, o.deliver_day[idx], params.day_of(updated))
    file = (~o.online[idx]).astype(np.int8)  # marketplace.csv, pos.csv
    e = contract.ORDERS
    orders = Rows(
        entity=e,
        values={
            "order_id": idx + 1,
            "buyer_id": o.buyer[idx] + 1,
            "brand_id": o.brand[idx] + 1,
            "order_ts": o.ts[idx],
            "terminal": o.terminal[idx],
            "traffic_source": o.traffic[idx],
            "session_id": _plus1(session[idx]),
            "store_id": _plus1(o.store[idx]),
            "fulfilment": o.fulfilment[idx],
            "status": status,
            "order_amount": o.amount[idx],
            "discount_amount": o.discount[idx],
            "currency": np.zeros(len(idx), np.int64),
            "updated_at": updated,
        },
        dt=dt,
        file=file,
        files=_files(e, "marketplace", "pos"),
        sort_key=updated,
        tz=render.draw_tz(rng, len(idx)),
        parent=idx,
        version=np.where(first, 1, 2),
    )
    li = o.line_order
    e = contract.ORDER_ITEMS
    items = Rows(
        entity=e,
        values={
            "order_id": li + 1,
            "line_no": o.line_no,
            "sku_id": o.line_sku + 1,
            "quantity": o.line_qty,
            "unit_price": o.line_price,
        },
        dt=o.deliver_day[li],
        file=(~o.online[li]).astype(np.int8),
        files=_files(e, "marketplace", "pos"),
        sort_key=o.updated_ts[li] * 16 + o.line_no,
        tz=np.zeros(len(li), np.int8),
        parent=li,
    )
    return orders, items


def shipment_rows(params: SimParams, s: Shipments) -> Rows:
    rng = params.rng("rows.shipments")
    n = len(s.order)
    delivered = np.flatnonzero(s.delivered_ts != NULL_INT)
    idx = np.concatenate([np.arange(n), delivered])
    first = np.arange(len(idx)) < n
    delivered_ts = np.where(first, NULL_INT, s.delivered_ts[idx])
    updated = np.where(first, s.shipped_ts[idx], s.delivered_ts[idx])
    origin = np.where(s.origin_type[idx] == 1, s.origin[idx] + 1, s.origin[idx])
    from_store = pa.array(s.origin_type[idx] == 1)
    origin_text = pc.if_else(from_store, render.ids("ST", 4, origin), render.ids("WH", 2, origin))
    e = contract.SHIPMENTS
    return Rows(
        entity=e,
        values={
            "order_id": s.order[idx] + 1,
            "origin_type": s.origin_type[idx],
            "origin_id": origin_text,
            "shipped_ts": s.shipped_ts[idx],
            "promised_delivery_ts": s.promised_ts[idx],
            "delivered_ts": delivered_ts,
            "updated_at": updated,
        },
        dt=params.day_of(updated),
        file=np.zeros(len(idx), np.int8),
        files=_files(e),
        sort_key=updated,
        tz=render.draw_tz(rng, len(idx)),
        parent=s.order[idx],
        version=np.where(first, 1, 2),
    )


def content_item_rows(params: SimParams, c: ContentItems) -> Rows:
    n = len(c.published_ts)
    e = contract.CONTENT_ITEMS
    return Rows(
        entity=e,
        values={
            "content_id": np.arange(1, n + 1),
            "creator_id": c.creator + 1,
            "brand_id": _plus1(c.brand),
            "content_type": c.content_type,
            "platform": c.platform,
            "published_ts": c.published_ts,
            "sku_ids": np.arange(n),
        },
        dt=params.day_of(c.published_ts),
        file=np.zeros(n, np.int8),
        files=_files(e),
        sort_key=c.published_ts,
        tz=render.draw_tz(params.rng("rows.content_items"), n),
        sku_lists=(c.sku_ptr, c.sku_values + 1),
    )


def content_event_rows(params: SimParams, ev: ContentEvents) -> Rows:
    rng = params.rng("rows.content_events")
    n = len(ev.ts)
    day = params.day_of(ev.ts)
    late = rng.random(n) < LATE_EVENT_SHARE
    dt = np.where(late, np.minimum(day + rng.integers(1, 4, n), params.days - 1), day)
    e = contract.CONTENT_EVENTS
    rows = Rows(
        entity=e,
        values={
            "event_id": np.arange(1, n + 1),
            "event_ts": ev.ts,
            "platform": ev.platform,
            "platform_user_id": ev.uid,
            "content_id": ev.content + 1,
            "event_type": ev.event_type,
            "sku_id": _plus1(ev.sku),
            "dwell_seconds": ev.dwell,
        },
        dt=dt,
        file=np.zeros(n, np.int8),
        files=_files(e),
        sort_key=ev.ts,
        tz=render.draw_tz(rng, n),
    )
    # Some events are delivered again the next day: valid data the warehouse must dedupe.
    again = np.flatnonzero((rng.random(n) < RESEND_SHARE) & (dt < params.days - 1))
    rows.append_copies(again, dt[again] + 1)
    return rows


def creator_stat_rows(params: SimParams, s: CreatorStats) -> Rows:
    e = contract.CREATOR_STATS
    n = len(s.day)
    return Rows(
        entity=e,
        values={
            "dt": params.epoch_day0 + s.day,
            "creator_id": s.creator + 1,
            "followers": s.followers,
        },
        dt=s.day,
        file=np.zeros(n, np.int8),
        files=_files(e),
        sort_key=s.creator,
        tz=np.zeros(n, np.int8),
    )


def session_rows(params: SimParams, s: Sessions, plans: list[ExperimentPlan]) -> Rows:
    rng = params.rng("rows.sessions")
    n = len(s.ts)
    day = params.day_of(s.ts)
    late = (rng.random(n) < LATE_SESSION_SHARE) & (day < params.days - 1)
    e = contract.SESSIONS
    rows = Rows(
        entity=e,
        values={
            "session_id": np.arange(1, n + 1),
            "visitor_id": s.visitor_uid,
            "buyer_id": _plus1(s.buyer),
            "session_start_ts": s.ts,
            "terminal": s.terminal,
            "traffic_source": s.traffic,
            "landing_page": s.landing,
            "content_id": _plus1(s.content),
            "experiment_id": render.enum(tuple(p.experiment_id for p in plans), s.experiment),
            "variant": render.enum(VARIANTS, s.variant),
            "page_views": s.page_views,
        },
        dt=day + late,
        file=np.zeros(n, np.int8),
        files=_files(e),
        sort_key=s.ts,
        tz=np.zeros(n, np.int8),
    )
    return rows


def ad_spend_rows(params: SimParams, a: AdSpend) -> Rows:
    e = contract.AD_SPEND
    n = len(a.day)
    return Rows(
        entity=e,
        values={
            "dt": params.epoch_day0 + a.day,
            "brand_id": a.brand + 1,
            "traffic_source": a.source,
            "spend_amount": a.spend_cents,
            "impressions": a.impressions,
            "clicks": a.clicks,
        },
        dt=a.day,
        file=np.zeros(n, np.int8),
        files=_files(e),
        sort_key=np.arange(n),
        tz=np.zeros(n, np.int8),
    )


def identity_rows(params: SimParams, links: IdentityLinks) -> Rows:
    e = contract.IDENTITY_LINKS
    n = len(links.uid)
    return Rows(
        entity=e,
        values={
            "platform": links.platform,
            "platform_user_id": links.uid,
            "buyer_id": links.buyer + 1,
            "linked_at": links.linked_ts,
        },
        dt=params.day_of(links.linked_ts),
        file=np.zeros(n, np.int8),
        files=_files(e),
        sort_key=links.linked_ts,
        tz=np.zeros(n, np.int8),
    )


def snapshot_days(params: SimParams) -> np.ndarray:
    """Reference snapshots land on the first day, every 1st of a month and the last day."""
    days = {0, params.days - 1, *month_starts(params.start, params.days)}
    return np.array(sorted(days), dtype=np.int64)


def _snapshot(
    params: SimParams, e: contract.Entity, days: np.ndarray, members: list[np.ndarray], values
) -> Rows:
    """Stack per-day member lists (indexes into `values` columns) into one snapshot entity."""
    counts = np.array([len(m) for m in members])
    idx = np.concatenate(members).astype(np.int64) if members else np.zeros(0, np.int64)
    out = {}
    for k, v in values.items():
        out[k] = v.take(pa.array(idx)) if isinstance(v, pa.Array) else np.asarray(v)[idx]
    dt = np.repeat(days, counts)
    return Rows(
        entity=e,
        values=out,
        dt=dt,
        file=np.zeros(len(idx), np.int8),
        files=_files(e),
        sort_key=idx,
        tz=render.draw_tz(params.rng(f"rows.{e.name}"), len(idx)),
    )


def reference_rows(params: SimParams, world: World, plans: list[ExperimentPlan]) -> list[Rows]:
    days = snapshot_days(params)
    b, s, k, c, by = world.brands, world.skus, world.stores, world.creators, world.buyers
    everyone = [np.arange(len(b.names))] * len(days)
    brands = _snapshot(params, contract.BRANDS, days, everyone, {
        "brand_id": np.arange(1, len(b.names) + 1), "brand_name": pa.array(b.names),
        "category": b.category, "is_flagship": b.is_flagship,
    })  # fmt: skip
    skus = _snapshot(params, contract.SKUS, days, [np.arange(len(s.brand))] * len(days), {
        "sku_id": np.arange(1, len(s.brand) + 1), "brand_id": s.brand + 1, "category": s.category,
        "list_price": s.list_cents,
    })  # fmt: skip
    listed = [np.flatnonzero(k.opened_day <= d + STORE_LISTED_DAYS_AHEAD) for d in days]
    stores = _snapshot(params, contract.STORES, days, listed, {
        "store_id": np.arange(1, len(k.names) + 1), "store_name": pa.array(k.names),
        "brand_id": _plus1(k.brand), "city": pa.array(k.city), "city_tier": k.tier,
        "opened_on": params.epoch_day0 + k.opened_day,
    })  # fmt: skip
    registered = [np.flatnonzero(by.registered_ts < params.day_start(d + 1)) for d in days]
    buyers = _snapshot(params, contract.BUYERS, days, registered, {
        "buyer_id": np.arange(1, len(by) + 1), "registered_at": by.registered_ts,
        "city": city_codes(by.tier, by.city), "city_tier": by.tier,
    })  # fmt: skip
    creators = _snapshot(params, contract.CREATORS, days, [np.arange(len(c.kind))] * len(days), {
        "creator_id": np.arange(1, len(c.kind) + 1), "creator_name": pa.array(c.names),
        "home_platform": c.home_platform, "kind": c.kind, "brand_id": _plus1(c.brand),
    })  # fmt: skip
    starts = [experiment_window_ts(params, p)[0] for p in plans]
    ends = [experiment_window_ts(params, p)[1] for p in plans]
    every_plan = [np.arange(len(plans))] * len(days)
    experiments = _snapshot(params, contract.EXPERIMENTS, days, every_plan, {
        "experiment_id": pa.array([p.experiment_id for p in plans], pa.string()),
        "experiment_name": pa.array([p.name for p in plans], pa.string()),
        "start_ts": np.array(starts, dtype=np.int64), "end_ts": np.array(ends, dtype=np.int64),
        "control_variant": pa.array([p.control for p in plans], pa.string()),
        "allocation": pa.array([allocation_json(p) for p in plans], pa.string()),
    })  # fmt: skip
    return [brands, skus, stores, buyers, creators, experiments]


def allocation_json(plan: ExperimentPlan) -> str:
    return json.dumps(dict(zip(plan.variants, plan.allocation, strict=True)), sort_keys=False)


def experiment_window_ts(params: SimParams, plan: ExperimentPlan) -> tuple[int, int]:
    d0, d1 = window(params, plan)
    return int(params.day_start(d0)), int(params.day_start(d1 + 1)) - 1
