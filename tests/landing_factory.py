"""Hand-made landing deliveries for the ingestion tests: small, valid, and easy to break.

`world(dt)` returns one valid day of every entity as plain dicts (text values as a source
system would write them); `write(...)` writes rows as the entity's contract format. Tests copy
a world, break one thing, and check that exactly that thing is quarantined or fails.
"""

from __future__ import annotations

import csv
import json
import os
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from shopsight import contract

Row = dict[str, Any]


def ts(dt: date, hour: int = 10, minute: int = 0, offset: str = "+08:00") -> str:
    return f"{dt.isoformat()}T{hour:02d}:{minute:02d}:00{offset}"


def world(dt: date, orders: int = 3) -> dict[str, list[Row]]:
    """One valid day of every entity, delivered on `dt`."""
    w: dict[str, list[Row]] = {
        "brands": [
            {
                "brand_id": "b1",
                "brand_name": "Brand One",
                "category": "beauty",
                "is_flagship": "true",
            },
            {
                "brand_id": "b2",
                "brand_name": "Brand Two",
                "category": "food",
                "is_flagship": "false",
            },
        ],
        "skus": [
            {"sku_id": "s1", "brand_id": "b1", "category": "beauty", "list_price": "10.00"},
            {"sku_id": "s2", "brand_id": "b2", "category": "food", "list_price": "2.50"},
        ],
        "stores": [
            {
                "store_id": "st1",
                "store_name": "Store 1",
                "brand_id": "b1",
                "city": "Hangzhou",
                "city_tier": "2",
                "opened_on": "2014-05-01",
            },
        ],
        "buyers": [
            {
                "buyer_id": "u1",
                "registered_at": "2014-01-01T00:00:00+08:00",
                "city": "Hangzhou",
                "city_tier": "2",
            },
        ],
        "creators": [
            {
                "creator_id": "c1",
                "creator_name": "Creator",
                "home_platform": "weibo",
                "kind": "net_red",
                "brand_id": "",
            },
        ],
        "experiments": [
            {
                "experiment_id": "e1",
                "experiment_name": "Test",
                "start_ts": "2014-12-01T00:00:00+08:00",
                "end_ts": "2017-01-01T00:00:00+08:00",
                "control_variant": "a",
                "allocation": '{"a": 0.5, "b": 0.5}',
            },
        ],
        "orders": [],
        "order_items": [],
        "shipments": [],
        "content_items": [
            {
                "content_id": f"ci-{dt}",
                "creator_id": "c1",
                "brand_id": "b1",
                "content_type": "short_video",
                "platform": "weibo",
                "published_ts": ts(dt, 8),
                "sku_ids": ["s1"],
            },
        ],
        "content_events": [
            {
                "event_id": f"ev-{dt}-1",
                "event_ts": ts(dt, 9),
                "platform": "weibo",
                "platform_user_id": "w1",
                "content_id": f"ci-{dt}",
                "event_type": "view",
                "sku_id": None,
                "dwell_seconds": 30,
            },
            {
                "event_id": f"ev-{dt}-2",
                "event_ts": ts(dt, 9, 5),
                "platform": "taobao",
                "platform_user_id": "t1",
                "content_id": f"ci-{dt}",
                "event_type": "product_click",
                "sku_id": "s1",
                "dwell_seconds": None,
            },
        ],
        "creator_stats": [{"dt": dt.isoformat(), "creator_id": "c1", "followers": 100}],
        "sessions": [
            {
                "session_id": f"se-{dt}-1",
                "visitor_id": "t1",
                "buyer_id": "u1",
                "session_start_ts": datetime.fromisoformat(ts(dt, 9)),
                "terminal": "mobile_app",
                "traffic_source": "content",
                "landing_page": "content",
                "content_id": f"ci-{dt}",
                "experiment_id": "e1",
                "variant": "b",
                "page_views": 3,
            },
        ],
        "ad_spend": [
            {
                "dt": dt,
                "brand_id": "b1",
                "traffic_source": "ads",
                "spend_amount": 12.5,
                "impressions": 1000,
                "clicks": 10,
            },
        ],
        "identity_links": [
            {
                "platform": "weibo",
                "platform_user_id": "w1",
                "buyer_id": "u1",
                "linked_at": datetime.fromisoformat(ts(dt, 7)),
            },
        ],
    }
    for i in range(orders):
        oid = f"o-{dt}-{i}"
        qty, price, discount = i + 1, "10.00", "1.00"
        amount = f"{(i + 1) * 10 - 1:.2f}"
        w["orders"].append(
            {
                "order_id": oid,
                "buyer_id": "u1",
                "brand_id": "b1",
                "order_ts": ts(dt, 10, i),
                "terminal": "mobile_app",
                "traffic_source": "search",
                "session_id": f"se-{dt}-1",
                "store_id": "",
                "fulfilment": "warehouse_ship",
                "status": "paid",
                "order_amount": amount,
                "discount_amount": discount,
                "currency": "CNY",
                "updated_at": ts(dt, 10, i),
            }
        )
        w["order_items"].append(
            {
                "order_id": oid,
                "line_no": "1",
                "sku_id": "s1",
                "quantity": str(qty),
                "unit_price": price,
            }
        )
        w["shipments"].append(
            {
                "order_id": oid,
                "origin_type": "warehouse",
                "origin_id": "wh1",
                "shipped_ts": ts(dt, 18),
                "promised_delivery_ts": ts(dt + timedelta(days=3), 18),
                "delivered_ts": "",
                "updated_at": ts(dt, 18),
            }
        )
    return w


def folder(landing: Path, entity: str, dt: date) -> Path:
    e = contract.entity(entity)
    return landing / e.source / e.name / f"dt={dt.isoformat()}"


def write(
    landing: Path,
    entity: str,
    dt: date,
    rows: list[Row],
    *,
    name: str = "part-0",
    success: bool = True,
    columns: list[str] | None = None,
) -> Path:
    """Write `rows` as one file of the entity's format into its dt folder; returns the file."""
    e = contract.entity(entity)
    out = folder(landing, entity, dt)
    out.mkdir(parents=True, exist_ok=True)
    cols = columns or (list(rows[0]) if rows else list(e.column_names))
    if e.format == "csv":
        path = out / f"{name}.csv"
        with path.open("w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, lineterminator="\n")
            writer.writerow(cols)
            for r in rows:
                writer.writerow(["" if r.get(c) is None else r.get(c) for c in cols])
    elif e.format == "jsonl":
        path = out / f"{name}.jsonl"
        with path.open("w", encoding="utf-8") as fh:
            for r in rows:
                fh.write(json.dumps({c: r.get(c) for c in cols}) + "\n")
    else:
        path = out / f"{name}.parquet"
        table = pa.Table.from_pylist([{c: r.get(c) for c in cols} for r in rows])
        pq.write_table(table, path)
    if success:
        mark_success(landing, entity, dt)
    return path


def mark_success(landing: Path, entity: str, dt: date, bump: float = 0.0) -> None:
    """(Re)write `_SUCCESS`; `bump` seconds moves its mtime forward (a re-delivery)."""
    marker = folder(landing, entity, dt) / contract.SUCCESS_MARKER
    marker.write_text("")
    if bump:
        st = marker.stat()
        os.utime(marker, ns=(st.st_atime_ns, st.st_mtime_ns + int(bump * 1e9)))


def write_world(
    landing: Path, dt: date, w: dict[str, list[Row]] | None = None
) -> dict[str, list[Row]]:
    """Write every entity of `w` (default: a fresh valid world) for delivery date `dt`."""
    w = w if w is not None else world(dt)
    for entity, rows in w.items():
        write(landing, entity, dt, rows, columns=list(contract.entity(entity).column_names))
    return w
