"""Break a landing zone the ways real feeds break, and record what ingestion must do about it.

`--faults RATE` breaks about RATE x (rows of the sales feed: orders, lines, shipments) rows in
total, spread over the kinds and entities in `SPECS` (at least one of each when RATE > 0).
Sizing by the sales feed rather than by every row keeps the faults readable: at 1% of ten
million sessions the quarantine would be mostly sessions. Besides row faults it adds exact
duplicate rows, one file with an unknown extra column per format, and one truncated Parquet file.

For every fault the plan lists the rows ingestion must quarantine and with which reason, following
the quarantine policy of docs/architecture.md: the first broken rule wins; an order and its lines
stand or fall together (a broken order takes its lines down as `unknown_reference`, a broken line
takes its order and sibling lines down as `items_not_reconciled`); shipments of a quarantined
order are `unknown_reference`. To keep each fault's consequences exactly those, faults avoid rows
whose fate depends on other faults: orders with a later version, re-sent events, the truncated
partition, and rows already touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from shopsight.simulator import render
from shopsight.simulator.params import SimParams
from shopsight.simulator.rows import Rows
from shopsight.simulator.writer import Drift

LATE_MIN_DAYS = 8  # delivered this many days after the event: beyond the 7-day window


# Timestamps that are not ISO 8601 instants: an impossible date, another format, 25:61.
BAD_TIMESTAMPS = ("2015-02-30T10:00:00+08:00", "11/11/2015 10:00", "2016-11-11T25:61:00+08:00")


@dataclass(frozen=True)
class FaultSpec:
    kind: str
    entity: str
    column: str | None
    weight: int
    values: tuple[object, ...] = ()


SPECS: tuple[FaultSpec, ...] = (
    FaultSpec("bad_type", "orders", "order_amount", 2, ("12,30", "¥88.00", "N/A", "1.2.3")),
    FaultSpec("bad_type", "orders", "order_ts", 1, BAD_TIMESTAMPS),
    FaultSpec("bad_type", "order_items", "quantity", 2, ("two", "1.5", "3x")),
    FaultSpec("bad_type", "order_items", "unit_price", 1, ("free", "12.3.4", "--")),
    FaultSpec("bad_type", "shipments", "shipped_ts", 2, ("yesterday", "2016-13-01T08:00:00+08:00")),
    FaultSpec("bad_type", "content_events", "dwell_seconds", 2, ("12s", "abc", 4.5)),
    FaultSpec("bad_type", "content_events", "event_ts", 1, (1447171200, BAD_TIMESTAMPS[0])),
    FaultSpec("bad_type", "creator_stats", "followers", 1, ("12.5k", 3.7)),
    FaultSpec("bad_enum", "orders", "terminal", 2, ("ipad", "Mobile_App", "tablet")),
    FaultSpec("bad_enum", "orders", "fulfilment", 1, ("drone", "locker")),
    FaultSpec("bad_enum", "shipments", "origin_type", 1, ("locker", "Warehouse")),
    FaultSpec("bad_enum", "content_events", "event_type", 2, ("swipe", "comment")),
    FaultSpec("bad_enum", "content_events", "platform", 1, ("wechat", "douyin")),
    FaultSpec("bad_enum", "sessions", "terminal", 2, ("smart_tv", "PC")),
    FaultSpec("bad_enum", "sessions", "landing_page", 1, ("cart", "checkout")),
    FaultSpec("bad_enum", "ad_spend", "traffic_source", 1, ("tv", "billboard")),
    FaultSpec("missing_required", "orders", "buyer_id", 2, (None,)),
    FaultSpec("missing_required", "order_items", "sku_id", 1, (None,)),
    FaultSpec("missing_required", "shipments", "origin_id", 1, (None,)),
    FaultSpec("missing_required", "content_events", "platform_user_id", 2, (None,)),
    FaultSpec("missing_required", "sessions", "visitor_id", 2, (None,)),
    FaultSpec("missing_required", "creator_stats", "followers", 1, (None,)),
    FaultSpec("missing_required", "ad_spend", "brand_id", 1, (None,)),
    FaultSpec("items_not_reconciled", "orders", "order_amount", 4),
    FaultSpec("late_beyond_window", "orders", None, 2),
    FaultSpec("late_beyond_window", "content_events", None, 3),
    FaultSpec("late_beyond_window", "sessions", None, 3),
    FaultSpec("duplicate", "content_events", None, 4),
    FaultSpec("duplicate", "sessions", None, 3),
    FaultSpec("duplicate", "order_items", None, 2),
    FaultSpec("duplicate", "creator_stats", None, 1),
)  # fmt: skip

# One file per format gets an unknown extra column: (entity, column, index, value).
DRIFTS = (
    ("orders", "coupon_code", 2, "D11-20OFF"),
    ("content_events", "ab_bucket", 3, "b7"),
    ("sessions", "app_version", 11, "5.2.1"),
)
TRUNCATED_ENTITY = "sessions"  # a leaf nobody references, so the failure does not cascade


@dataclass
class FaultRecord:
    kind: str
    entity: str
    uid: int
    column: str | None
    reason: str
    expected: list[tuple[str, int, str]]  # (entity, uid, reason) of every row to quarantine


@dataclass
class FaultPlan:
    records: list[FaultRecord] = field(default_factory=list)
    overrides: dict[str, dict[str, dict[int, object]]] = field(default_factory=dict)  # by uid
    duplicates: list[tuple[str, int]] = field(default_factory=list)  # (entity, uid of the copy)
    drifts: dict[str, list[Drift]] = field(default_factory=dict)
    truncated: list[tuple[str, int, int]] = field(default_factory=list)  # (entity, dt, file)

    def quarantined(self, entity: str) -> np.ndarray:
        return np.array(
            sorted({u for r in self.records for e, u, _ in r.expected if e == entity}), np.int64
        )

    def uids_to_place(self, entity: str) -> np.ndarray:
        """Every uid whose file and row number the truth must name."""
        uids = {u for r in self.records for e, u, _ in r.expected if e == entity}
        uids |= {u for e, u in self.duplicates if e == entity}
        for col in self.overrides.get(entity, {}).values():
            uids |= set(col)
        return np.array(sorted(uids), np.int64)


class _Planner:
    def __init__(self, params: SimParams, rows: dict[str, Rows], avoid_days: set[int]):
        self.params = params
        self.rows = rows
        self.rng = params.rng("faults")
        self.plan = FaultPlan()
        self.taken = {name: np.zeros(len(r), dtype=bool) for name, r in rows.items()}
        orders, items, ships = rows["orders"], rows["order_items"], rows["shipments"]
        n_orders = int(orders.parent.max()) + 1 if len(orders) else 0
        self.single_version = np.bincount(orders.parent, minlength=n_orders) == 1
        self.order_used = ~self.single_version
        self.items_of = _groups_by(items.parent, n_orders)
        self.ships_of = _groups_by(ships.parent, n_orders)
        # Re-sent events (and their originals) load twice by design; leave them alone.
        ev = rows["content_events"]
        copies = ev.origin != ev.uid
        self.taken["content_events"][copies] = True
        self.taken["content_events"][ev.origin[copies]] = True
        self.avoid_days = avoid_days

    # -- choosing rows ------------------------------------------------------------------------

    def candidates(self, spec: FaultSpec) -> np.ndarray:
        r = self.rows[spec.entity]
        free = ~self.taken[spec.entity]
        if spec.entity == "orders":
            free &= (r.version == 1) & ~self.order_used[r.parent]
        elif spec.entity in ("order_items", "shipments"):
            free &= ~self.order_used[r.parent]
        if spec.kind == "late_beyond_window":
            event_day = self.params.day_of(r.values[r.entity.event_time])
            free &= event_day + LATE_MIN_DAYS <= self.params.days - 1
        return np.flatnonzero(free)

    def choose(self, spec: FaultSpec, k: int) -> np.ndarray:
        cand = self.candidates(spec)
        if len(cand) == 0 or k <= 0:
            return np.zeros(0, np.int64)
        if spec.entity == "order_items":  # one line per order, so cascades do not overlap
            _, first = np.unique(self.rows["order_items"].parent[cand], return_index=True)
            cand = cand[first]
        return np.sort(self.rng.choice(cand, min(k, len(cand)), replace=False))

    # -- recording ----------------------------------------------------------------------------

    def override(self, entity: str, column: str, uid: int, value: object) -> None:
        self.plan.overrides.setdefault(entity, {}).setdefault(column, {})[uid] = value

    def order_cascade(self, order: int, order_reason: str, line_reason: str) -> list:
        items, ships = self.rows["order_items"], self.rows["shipments"]
        out = [("orders", int(self.rows["orders"].uid[order]), order_reason)]
        out += [("order_items", int(items.uid[p]), line_reason) for p in self.items_of[order]]
        out += [("shipments", int(ships.uid[p]), "unknown_reference") for p in self.ships_of[order]]
        return out

    def mark(self, spec: FaultSpec, pos: int) -> None:
        self.taken[spec.entity][pos] = True
        r = self.rows[spec.entity]
        if r.parent is not None:
            self.order_used[r.parent[pos]] = True

    def row_fault(self, spec: FaultSpec, pos: int, value: object) -> None:
        r = self.rows[spec.entity]
        uid = int(r.uid[pos])
        reason = spec.kind
        if spec.entity == "orders":
            line_reason = (
                "items_not_reconciled" if reason == "items_not_reconciled" else "unknown_reference"
            )
            expected = self.order_cascade(int(r.parent[pos]), reason, line_reason)
        elif spec.entity == "order_items":
            order = int(r.parent[pos])
            expected = [
                (e, u, reason if (e, u) == ("order_items", uid) else rsn)
                for e, u, rsn in self.order_cascade(
                    order, "items_not_reconciled", "items_not_reconciled"
                )
            ]
        else:
            expected = [(spec.entity, uid, reason)]
        if spec.column is not None and spec.kind != "late_beyond_window":
            self.override(spec.entity, spec.column, uid, value)
        self.plan.records.append(
            FaultRecord(spec.kind, spec.entity, uid, spec.column, reason, expected)
        )
        self.mark(spec, pos)

    def move_late(self, spec: FaultSpec, pos: int) -> None:
        r = self.rows[spec.entity]
        event_day = int(self.params.day_of(np.array([r.values[r.entity.event_time][pos]]))[0])
        last = self.params.days - 1
        options = [
            d
            for d in range(event_day + LATE_MIN_DAYS, min(event_day + LATE_MIN_DAYS + 7, last + 1))
            if not (spec.entity == TRUNCATED_ENTITY and d in self.avoid_days)
        ]
        if not options:
            return
        new_dt = int(self.rng.choice(options))
        r.dt[pos] = new_dt
        if spec.entity == "orders":  # lines travel with their order
            items = self.rows["order_items"]
            items.dt[self.items_of[int(r.parent[pos])]] = new_dt
        self.row_fault(spec, pos, None)


class _groups_by:
    """Positions of the rows of each parent (order): `groups[order]`."""

    def __init__(self, parent: np.ndarray, n: int):
        self.order = np.argsort(parent, kind="stable")
        self.bounds = np.searchsorted(parent[self.order], np.arange(n + 1))

    def __getitem__(self, i: int) -> np.ndarray:
        return self.order[self.bounds[i] : self.bounds[i + 1]]


def _reconcile_breaker(rng: np.random.Generator, cents: int) -> str:
    delta = int(rng.integers(100, 5_000))
    wrong = cents + delta if cents < delta or rng.random() < 0.5 else cents - delta
    return render.money(np.array([wrong])).to_pylist()[0]


def _pick_day(params: SimParams, avoid: set[int], rng: np.random.Generator) -> int:
    days = [d for d in range(params.days // 3, params.days) if d not in avoid] or [params.days - 1]
    return int(rng.choice(days))


def plan_faults(params: SimParams, rows: dict[str, Rows], quiet_days: set[int]) -> FaultPlan:
    """Inject faults into `rows` (moves and copies happen in place) and return the plan.

    `quiet_days` are days the truncated file should avoid (experiment windows), so that one
    lost file does not change the experiments' results.
    """
    if params.faults <= 0:
        return FaultPlan()
    rng = params.rng("faults.layout")
    trunc_dt = _pick_day(params, quiet_days, rng)
    planner = _Planner(params, rows, {trunc_dt})
    planner.plan.truncated.append((TRUNCATED_ENTITY, trunc_dt, 0))
    planner.taken[TRUNCATED_ENTITY][rows[TRUNCATED_ENTITY].dt == trunc_dt] = True

    sales_rows = sum(len(rows[e]) for e in ("orders", "order_items", "shipments"))
    budget = max(len(SPECS), round(params.faults * sales_rows))
    total_weight = sum(s.weight for s in SPECS)
    # Duplicates last: a duplicated row must not be part of another fault's cascade.
    for spec in sorted(SPECS, key=lambda s: s.kind == "duplicate"):
        k = max(1, round(budget * spec.weight / total_weight))
        chosen = planner.choose(spec, k)
        for j, pos in enumerate(chosen.tolist()):
            if spec.kind == "duplicate":
                planner.mark(spec, pos)
                uid = rows[spec.entity].append_copies(np.array([pos]))[0]
                planner.taken[spec.entity] = np.append(planner.taken[spec.entity], True)
                planner.plan.duplicates.append((spec.entity, int(uid)))
            elif spec.kind == "late_beyond_window":
                planner.move_late(spec, pos)
            elif spec.kind == "items_not_reconciled":
                cents = int(rows["orders"].values["order_amount"][pos])
                planner.row_fault(spec, pos, _reconcile_breaker(planner.rng, cents))
            else:
                planner.row_fault(spec, pos, spec.values[j % len(spec.values)])

    for entity, column, index, value in DRIFTS:
        r = rows[entity]
        days = np.unique(r.dt[(r.file == 0) & (r.dt != trunc_dt)])
        if len(days):
            dt = int(rng.choice(days))
            planner.plan.drifts.setdefault(entity, []).append(Drift(dt, 0, column, index, value))
    return planner.plan
