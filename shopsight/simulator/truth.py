"""`truth.json`: what was planted and what the generated data really says.

Other engineers' tests compare the warehouse's KPIs with these numbers, so "realized" figures are
computed here from the rows that *should load* (faulted rows, duplicate copies and truncated
files excluded), with the KPI definitions of the spec: counted orders are the latest version with
status paid or refunded, the business date is the Asia/Shanghai date, percentiles are continuous.
They are computed with DuckDB over the simulator's typed rows, not by re-reading the files.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from shopsight import contract
from shopsight.simulator.calendar import DayCalendar
from shopsight.simulator.content import PRODUCT_CLICK, VIEW, content_growth, product_click_share
from shopsight.simulator.experiments import ExperimentPlan
from shopsight.simulator.faults import FaultPlan
from shopsight.simulator.params import DAY_S, SimParams
from shopsight.simulator.render import NULL_INT, timestamps
from shopsight.simulator.rows import Rows, experiment_window_ts
from shopsight.simulator.writer import Layout, relative_path

PAID, REFUNDED = contract.ORDER_STATUSES.index("paid"), contract.ORDER_STATUSES.index("refunded")
OFFLINE = contract.TERMINALS.index("offline_pos")
WIRELESS = tuple(contract.TERMINALS.index(t) for t in contract.WIRELESS_TERMINALS)
PC = contract.TERMINALS.index("pc")


def loadable_mask(rows: Rows, plan: FaultPlan) -> np.ndarray:
    """Rows ingestion should load: not quarantined, not a duplicate copy, not in a lost file."""
    keep = ~np.isin(rows.uid, plan.quarantined(rows.name))
    copies = [u for e, u in plan.duplicates if e == rows.name]
    keep &= ~np.isin(rows.uid, np.array(copies, np.int64))
    for e, dt, file in plan.truncated:
        if e == rows.name:
            keep &= ~((rows.dt == dt) & (rows.file == file))
    return keep


def _table(rows: Rows, keep: np.ndarray, columns: dict[str, str]) -> pa.Table:
    """Selected internal columns of the loadable rows (renamed)."""
    out = {}
    for new, col in columns.items():
        v = rows.values[col]
        if isinstance(v, pa.Array):
            out[new] = v.filter(pa.array(keep))
        else:
            v = v[keep]
            out[new] = pa.array(v, mask=(v == NULL_INT) if v.dtype == np.int64 else None)
    return pa.table(out)


def _iso(ts: int) -> str:
    return timestamps(np.array([ts]), np.array([0], np.int8)).to_pylist()[0]


class _Realized:
    """The realized KPI figures, over one DuckDB connection holding the loadable rows."""

    def __init__(self, params: SimParams, rows: dict[str, Rows], plan: FaultPlan):
        self.params = params
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")
        keep = {name: loadable_mask(r, plan) for name, r in rows.items()}
        tables = {
            "orders": _table(rows["orders"], keep["orders"], {
                "order_id": "order_id", "buyer_id": "buyer_id", "order_ts": "order_ts",
                "terminal": "terminal", "status": "status", "amount": "order_amount",
                "fulfilment": "fulfilment", "updated_at": "updated_at", "session_id": "session_id",
            }),
            "shipments": _table(rows["shipments"], keep["shipments"], {
                "order_id": "order_id", "shipped_ts": "shipped_ts",
                "promised_ts": "promised_delivery_ts", "delivered_ts": "delivered_ts",
                "updated_at": "updated_at",
            }),
            "sessions": _table(rows["sessions"], keep["sessions"], {
                "session_id": "session_id", "visitor_id": "visitor_id", "buyer_id": "buyer_id",
                "ts": "session_start_ts", "experiment_id": "experiment_id", "variant": "variant",
            }),
            "events": _table(rows["content_events"], keep["content_events"], {
                "platform": "platform", "uid": "platform_user_id", "event_type": "event_type",
                "ts": "event_ts",
            }),
            "links": _table(rows["identity_links"], keep["identity_links"], {
                "platform": "platform", "uid": "platform_user_id", "buyer_id": "buyer_id",
            }),
        }  # fmt: skip
        for name, t in tables.items():
            self.con.register(f"t_{name}", t)
        s0 = params.start_ts
        self.con.execute(f"""
            create temp table counted as
            select *, (order_ts - {s0}) // {DAY_S} as day
            from (select * from t_orders qualify row_number() over (
                      partition by order_id order by updated_at desc) = 1)
            where status in ({PAID}, {REFUNDED})
        """)

    def daily(self) -> dict[int, dict[str, Any]]:
        res = self.con.execute(f"""
            select day, count(*), sum(amount), sum(amount) filter (where status = {PAID}),
                   coalesce(sum(amount) filter (where terminal <> {OFFLINE}), 0),
                   coalesce(sum(amount) filter (where terminal in {WIRELESS}), 0),
                   coalesce(sum(amount) filter (where terminal = {PC}), 0),
                   coalesce(sum(amount) filter (where terminal = {OFFLINE}), 0)
            from counted group by day order by day
        """).fetchall()
        out = {}
        for day, n, gmv, net, online, wireless, pc, offline in res:
            out[int(day)] = {
                "counted_orders": int(n),
                "gmv": _yuan(gmv),
                "net_sales": _yuan(net or 0),
                "online_gmv": _yuan(online),
                "wireless_gmv": _yuan(wireless),
                "pc_gmv": _yuan(pc),
                "offline_gmv": _yuan(offline),
                "wireless_gmv_share": round(wireless / online, 6) if online else None,
            }
        return out

    def omnichannel(self) -> dict[int, dict[str, Any]]:
        res = self.con.execute(f"""
            with ship as (
                select * from t_shipments qualify row_number() over (
                    partition by order_id order by updated_at desc) = 1),
            o as (
                select c.day, c.terminal, c.fulfilment,
                       (s.shipped_ts - c.order_ts) / 60.0 as minutes,
                       s.order_id is not null as shipped,
                       s.delivered_ts is not null as delivered,
                       s.delivered_ts <= s.promised_ts as on_time
                from counted c left join ship s using (order_id))
            select day,
                   count(*) filter (where terminal <> {OFFLINE}),
                   count(*) filter (where terminal <> {OFFLINE} and fulfilment in (1, 2)),
                   count(*) filter (where terminal <> {OFFLINE} and fulfilment = 2),
                   count(*) filter (where fulfilment = 3),
                   quantile_cont(minutes, 0.5) filter (where shipped),
                   quantile_cont(minutes, 0.9) filter (where shipped),
                   count(*) filter (where shipped and minutes <= 60),
                   count(*) filter (where shipped),
                   count(*) filter (where delivered),
                   count(*) filter (where delivered and on_time)
            from o group by day order by day
        """).fetchall()
        out = {}
        for day, online, store, pickup, in_store, p50, p90, fast, shipped, deliv, on_time in res:
            out[int(day)] = {
                "online_orders": int(online),
                "store_fulfilled_orders": int(store),
                "pickup_orders": int(pickup),
                "in_store_orders": int(in_store),
                "ship_minutes_p50": _round(p50),
                "ship_minutes_p90": _round(p90),
                "shipped_within_1h_share": round(fast / shipped, 6) if shipped else None,
                "delivered_orders": int(deliv),
                "on_time_delivery_rate": round(on_time / deliv, 6) if deliv else None,
            }
        return out

    def lifecycle(self) -> dict[str, dict[str, Any]]:
        p = self.params
        months = sorted({date(d.year, d.month, 1) for d in p.dates()})
        ends = [
            (date(m.year + (m.month == 12), m.month % 12 + 1, 1) - timedelta(days=1))
            for m in months
        ]
        self.con.register(
            "t_months", pa.table({"month_start": pa.array(months), "month_end": pa.array(ends)})
        )
        res = self.con.execute(f"""
            with c as (
                select buyer_id, date '{p.start.isoformat()}' + cast(day as integer) as d
                from counted),
            per as (
                select m.month_start, m.month_end, c.buyer_id,
                       max(d) as last_order, min(d) as first_order,
                       bool_or(d >= m.month_start) as ordered,
                       max(d) filter (where d < m.month_start) as prev_order,
                       count(*) filter (where d > m.month_end - 365) as n365
                from t_months m join c on c.d <= m.month_end
                group by all)
            select month_start,
                   count(*) filter (where ordered and first_order >= month_start),
                   count(*) filter (where ordered and prev_order >= month_start - 180),
                   count(*) filter (where ordered and prev_order < month_start - 180),
                   count(*) filter (where not ordered and last_order >= month_end - 180),
                   count(*) filter (where not ordered and last_order < month_end - 180),
                   count(*) filter (where n365 >= 2), count(*) filter (where n365 >= 1)
            from per group by month_start order by month_start
        """).fetchall()
        out = {}
        for m, new, retained, reactivated, lapsing, dormant, repeat2, repeat1 in res:
            out[m.strftime("%Y-%m")] = {
                "new": int(new),
                "retained": int(retained),
                "reactivated": int(reactivated),
                "lapsing": int(lapsing),
                "dormant": int(dormant),
                "repeat_purchase_rate": round(repeat2 / repeat1, 6) if repeat1 else None,
            }
        return out

    def content_yearly(self) -> dict[str, dict[str, int]]:
        p = self.params
        res = self.con.execute(f"""
            with e as (
                -- the person: the linked buyer, else the platform account (as a negative key)
                select coalesce(l.buyer_id, -(e.platform * 10000000000 + e.uid)) as person,
                       e.event_type,
                       year(date '{p.start.isoformat()}'
                            + cast((e.ts - {p.start_ts}) // {DAY_S} as integer)) as y
                from t_events e left join t_links l using (platform, uid))
            select y, count(distinct person) filter (where event_type = {VIEW}),
                      count(distinct person) filter (where event_type = {PRODUCT_CLICK})
            from e group by y order by y
        """).fetchall()
        return {str(y): {"content_uv": int(v), "content_product_uv": int(c)} for y, v, c in res}

    def experiment(self, plan: ExperimentPlan, start_ts: int, end_ts: int) -> dict[str, Any]:
        res = self.con.execute(
            """
            with s as (
                select * from t_sessions
                where experiment_id = $1 and ts between $2 and $3),
            firsts as (
                select visitor_id, variant, buyer_id from s qualify row_number() over (
                    partition by visitor_id order by ts, session_id) = 1),
            seg as (
                select f.visitor_id, f.variant,
                       case when exists (
                           select 1 from counted c where c.buyer_id = f.buyer_id
                             and c.order_ts < $2 and c.order_ts >= $2 - 365 * 86400)
                            then 'returning' else 'new' end as segment
                from firsts f),
            conv as (
                select distinct s.visitor_id from s join counted c on c.session_id = s.session_id
                where c.terminal <> $4)
            select variant, segment, count(*), count(conv.visitor_id)
            from seg left join conv using (visitor_id) group by all
            """,
            [plan.experiment_id, start_ts, end_ts, OFFLINE],
        ).fetchall()
        realized: dict[str, dict[str, dict[str, int]]] = {
            v: {s: {"visitors": 0, "converters": 0} for s in ("all", "new", "returning")}
            for v in plan.variants
        }
        for variant, segment, visitors, converters in res:
            for s in (segment, "all"):
                realized[variant][s]["visitors"] += int(visitors)
                realized[variant][s]["converters"] += int(converters)
        return realized


def _yuan(cents: float | int | None) -> float:
    return round(float(cents or 0) / 100.0, 2)


def _round(x: float | None) -> float | None:
    return None if x is None else round(float(x), 4)


def _planted_product_uv_growth(params: SimParams, cal: DayCalendar) -> float | None:
    """Designed growth of product clicks 2016 over 2015 (needs both whole years simulated)."""
    years = np.array([d.year for d in cal.dates])
    if (years == 2015).sum() < 365 or (years == 2016).sum() < 366:
        return None
    clicks = content_growth(cal) * product_click_share(cal)
    return round(float(clicks[years == 2016].sum() / clicks[years == 2015].sum()), 4)


def build_truth(
    params: SimParams,
    cal: DayCalendar,
    plans: list[ExperimentPlan],
    rows: dict[str, Rows],
    layouts: dict[str, Layout],
    plan: FaultPlan,
    files: dict[str, dict[str, int]],
) -> dict[str, Any]:
    r = _Realized(params, rows, plan)
    daily_real = r.daily()
    daily: dict[str, Any] = {}
    for i, d in enumerate(cal.dates):
        real = daily_real.get(i) or {
            "counted_orders": 0, "gmv": 0.0, "net_sales": 0.0, "online_gmv": 0.0,
            "wireless_gmv": 0.0, "pc_gmv": 0.0, "offline_gmv": 0.0, "wireless_gmv_share": None,
        }  # fmt: skip
        daily[d.isoformat()] = {
            **real,
            "planted_wireless_share": round(float(cal.wireless_target[i]), 6),
            "festival": cal.festival[i],
        }
    omni = r.omnichannel()
    experiments = {}
    for p in plans:
        start_ts, end_ts = experiment_window_ts(params, p)
        experiments[p.experiment_id] = {
            "control": p.control,
            "allocation": dict(zip(p.variants, p.allocation, strict=True)),
            "start_ts": _iso(start_ts),
            "end_ts": _iso(end_ts),
            "planted_rel_lift": dict(zip(p.variants, p.rel_lift, strict=True)),
            "planted_conversion": {
                v: {
                    "new": round(p.conversion(i, False), 6),
                    "returning": round(p.conversion(i, True), 6),
                }
                for i, v in enumerate(p.variants)
            },
            "realized": r.experiment(p, start_ts, end_ts),
        }
    return {
        "params": params.as_dict(),
        "entities": files,
        "daily": daily,
        "festivals": [
            {
                "date": f.date.isoformat(),
                "festival": f.name,
                "planted_multiplier": f.multiplier,
                **({"brand_id": f"BR{f.brand_rank + 1:04d}"} if f.brand_rank is not None else {}),
            }
            for f in cal.festivals
        ],
        "experiments": experiments,
        "content": {
            "yearly": r.content_yearly(),
            "planted_product_uv_growth": _planted_product_uv_growth(params, cal),
        },
        "omnichannel": {
            "daily": {cal.dates[i].isoformat(): v for i, v in omni.items() if 0 <= i < params.days}
        },
        "lifecycle": r.lifecycle(),
        **_fault_truth(params, rows, layouts, plan),
    }


def _fault_truth(
    params: SimParams, rows: dict[str, Rows], layouts: dict[str, Layout], plan: FaultPlan
) -> dict[str, Any]:
    def place(entity: str, uid: int) -> tuple[str, str, int]:
        dt, file, row_number = layouts[entity].where(uid)
        return (
            params.date_of(dt).isoformat(),
            relative_path(params, rows[entity], dt, file),
            row_number,
        )

    faults = []
    for rec in plan.records:
        dt, file, row_number = place(rec.entity, rec.uid)
        expected = []
        for e, u, reason in rec.expected:
            _, f, n = place(e, u)
            expected.append({"entity": e, "file": f, "row_number": n, "reason": reason})
        faults.append({
            "kind": rec.kind, "entity": rec.entity, "dt": dt, "file": file,
            "row_number": row_number, "column": rec.column, "expected_reason": rec.reason,
            "expected_rows": sorted(expected, key=lambda x: (x["file"], x["row_number"])),
        })  # fmt: skip
    duplicates = []
    for e, u in plan.duplicates:
        _, f, n = place(e, u)
        duplicates.append({"entity": e, "file": f, "row_number": n})
    drift = [
        {"entity": e, "file": relative_path(params, rows[e], d.dt, d.file), "column": d.column}
        for e, ds in plan.drifts.items()
        for d in ds
    ]
    truncated = [
        {
            "entity": e,
            "dt": params.date_of(dt).isoformat(),
            "file": relative_path(params, rows[e], dt, f),
        }
        for e, dt, f in plan.truncated
    ]
    return {
        "faults": faults,
        "duplicates": duplicates,
        "schema_drift": drift,
        "truncated_files": truncated,
    }
