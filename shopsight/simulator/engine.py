"""Run a whole simulation: generate, break (optionally), write the landing zone and its truth."""

from __future__ import annotations

import json
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from shopsight import contract
from shopsight.simulator import channel, content, experiments, orders, sessions
from shopsight.simulator.calendar import build_calendar
from shopsight.simulator.faults import FaultPlan, plan_faults
from shopsight.simulator.params import SimParams
from shopsight.simulator.rows import (
    Rows,
    ad_spend_rows,
    content_event_rows,
    content_item_rows,
    creator_stat_rows,
    identity_rows,
    order_rows,
    reference_rows,
    session_rows,
    shipment_rows,
    snapshot_days,
)
from shopsight.simulator.truth import build_truth
from shopsight.simulator.world import build_world
from shopsight.simulator.writer import Layout, make_layout, relative_path, write_entity

TRUNCATE_KEEP = 0.55  # a truncated file keeps the first 55% of its bytes
WRITER_THREADS = 2


@dataclass
class RunStats:
    """Timings of one run (printed by the CLI; never part of truth.json, which must be stable)."""

    phases: dict[str, float] = field(default_factory=dict)
    write_seconds: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)

    def lap(self, name: str, since: float) -> float:
        now = time.perf_counter()
        self.phases[name] = self.phases.get(name, 0.0) + now - since
        return now


def default_truth_path(out: Path) -> Path:
    """truth.json lives beside the landing zone: `data/landing` -> `data/truth.json`."""
    return Path(out).resolve().parent / "truth.json"


def generate(params: SimParams, stats: RunStats) -> tuple[Any, list, dict[str, Rows]]:
    """Every landing row of the simulation, by entity (before faults)."""
    t = time.perf_counter()
    cal = build_calendar(params)
    world = build_world(params, cal.festival_multiplier)
    items = content.build_items(params, cal, world)
    demand = orders.plan_orders(params, cal, world)
    exps = experiments.build_experiments(params, cal, world, demand, items.published_ts)
    t = stats.lap("generate: world, plan", t)
    o = orders.build_orders(
        params,
        cal,
        world,
        orders.OrderDemand.concat(demand, exps.orders),
        items.catalog(),
        (exps.sessions.traffic, exps.sessions.content),
    )
    ships = orders.build_shipments(params, cal, world, o)
    t = stats.lap("generate: orders", t)
    sess = sessions.build_sessions(params, cal, world, o, exps, items.published_ts)
    t = stats.lap("generate: sessions", t)
    events = content.build_events(params, cal, world, items, o.clicks)
    creator_stats = content.build_creator_stats(params, cal, world, items, events)
    t = stats.lap("generate: content", t)
    order_r, item_r = order_rows(params, o, sess.order_session)
    rows = [
        *reference_rows(params, world, exps.plans),
        order_r,
        item_r,
        shipment_rows(params, ships),
        content_item_rows(params, items),
        content_event_rows(params, events),
        creator_stat_rows(params, creator_stats),
        session_rows(params, sess, exps.plans),
        ad_spend_rows(params, channel.build_ad_spend(params, cal, world)),
        identity_rows(params, channel.build_identity_links(params, world)),
    ]
    stats.lap("generate: rows", t)
    return cal, exps.plans, {r.name: r for r in rows}


def _positions(
    layout: Layout, by_uid: dict[str, dict[int, object]]
) -> dict[str, dict[int, object]]:
    return {
        col: {layout.position_of_uid[uid]: v for uid, v in values.items()}
        for col, values in by_uid.items()
    }


def _clear(out: Path) -> None:
    """Remove a previous landing zone's source folders (and nothing else) before writing."""
    for source in contract.SOURCES:
        if (out / source).is_dir():
            shutil.rmtree(out / source)


def write_landing(
    out: Path, params: SimParams, rows: dict[str, Rows], plan: FaultPlan, stats: RunStats
) -> tuple[dict[str, Layout], dict[str, dict[str, int]]]:
    _clear(out)
    every_day = np.arange(params.days)
    snapshots = snapshot_days(params)
    layouts: dict[str, Layout] = {}
    files: dict[str, dict[str, int]] = {}
    lost = {(e, dt, f) for e, dt, f in plan.truncated}

    def write_one(e: contract.Entity) -> None:
        t = time.perf_counter()
        r = rows[e.name]
        layout = make_layout(r, plan.uids_to_place(e.name))
        layouts[e.name] = layout
        written = write_entity(
            out,
            params,
            layout,
            _positions(layout, plan.overrides.get(e.name, {})),
            plan.drifts.get(e.name, []),
            snapshots if e.snapshot else every_day,
        )
        for e_name, dt, f in lost:
            if e_name == e.name:
                _truncate(out / relative_path(params, r, dt, f))
        readable = [w for w in written if (e.name, *_dt_file(params, r, w.path)) not in lost]
        files[e.name] = {"files": len(written), "rows": sum(w.rows for w in readable)}
        stats.write_seconds[e.name] = time.perf_counter() - t
        stats.rows[e.name] = sum(w.rows for w in written)
        stats.files[e.name] = len(written)

    # Arrow's kernels and file writes release the GIL: two entities at a time use both cores.
    # Each entity writes its own folders, so the bytes do not depend on the interleaving.
    biggest_first = sorted(contract.ENTITIES, key=lambda e: -len(rows[e.name]))
    with ThreadPoolExecutor(max_workers=WRITER_THREADS) as pool:
        list(pool.map(write_one, biggest_first))
    order = [e.name for e in contract.ENTITIES]
    return {n: layouts[n] for n in order}, {n: files[n] for n in order}


def _dt_file(params: SimParams, r: Rows, path: str) -> tuple[int, int]:
    folder, name = path.split("/")[-2:]
    dt = (date.fromisoformat(folder.removeprefix("dt=")) - params.start).days
    return dt, r.files.index(name)


def _truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * TRUNCATE_KEEP)])


def run(
    out: Path,
    start: date,
    days: int,
    scale: float,
    seed: int,
    faults: float = 0.0,
    truth_path: Path | None = None,
) -> tuple[dict[str, Any], RunStats]:
    params = SimParams(start, days, scale, seed, faults)
    stats = RunStats()
    out = Path(out)
    cal, plans, rows = generate(params, stats)
    t = time.perf_counter()
    quiet: set[int] = set()
    for p in plans:
        d0, d1 = experiments.window(params, p)
        quiet |= set(range(d0, d1 + 1))
    plan = plan_faults(params, rows, quiet)
    t = stats.lap("faults", t)
    layouts, files = write_landing(out, params, rows, plan, stats)
    t = stats.lap("write", t)
    truth = build_truth(params, cal, plans, rows, layouts, plan, files)
    path = Path(truth_path) if truth_path is not None else default_truth_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(truth, indent=1, ensure_ascii=False) + "\n")
    stats.lap("truth", t)
    return truth, stats


def simulate(
    out: Path,
    start: date,
    days: int,
    scale: float,
    seed: int,
    faults: float = 0.0,
    truth_path: Path | None = None,
) -> dict[str, Any]:
    """Write a landing zone under `out` and `truth.json` (default `<out>/../truth.json`).

    Same arguments, same bytes. Returns the truth dict (also written to `truth_path`).
    """
    return run(out, start, days, scale, seed, faults, truth_path)[0]
