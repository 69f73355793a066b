"""The contract checker on small hand-written landing zones, one broken rule at a time.

These landing zones are written here, row by row, so the checker is tested against the contract
itself rather than against what the simulator happens to produce.
"""

from __future__ import annotations

import copy
import csv
import io
import json
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from shopsight import contract
from tests.contract_checker import Report, _dependency_order, _rule, audit

DT = "2016-11-11"
UTC_MS = pa.timestamp("ms", tz="UTC")


def _ts(text: str) -> int:
    return int(datetime.fromisoformat(text).timestamp() * 1000)


def _line(order_id: str, line_no: str, sku_id: str, quantity: str, price: str) -> dict[str, str]:
    return {"order_id": order_id, "line_no": line_no, "sku_id": sku_id, "quantity": quantity,
            "unit_price": price}  # fmt: skip


def base_landing() -> dict[str, dict[str, Any]]:
    """A tiny delivery (dt=2016-11-11) of every entity that follows the contract."""
    return {
        "brands": {DT: [{"brand_id": "BR1", "brand_name": 'Koi, "Foods"', "category": "food",
                         "is_flagship": "true"}]},
        "skus": {DT: [
            {"sku_id": "SKU1", "brand_id": "BR1", "category": "food", "list_price": "10.00"},
            {"sku_id": "SKU2", "brand_id": "BR1", "category": "food", "list_price": "5.50"},
        ]},
        "stores": {DT: [{"store_id": "ST1", "store_name": "Intime, Wulin", "brand_id": "",
                         "city": "Hangzhou", "city_tier": "2", "opened_on": "2010-01-01"}]},
        "buyers": {DT: [{"buyer_id": "B1", "registered_at": "2014-01-01T00:00:00+08:00",
                         "city": "Hangzhou", "city_tier": "2"}]},
        "creators": {DT: [{"creator_id": "CR1", "creator_name": "Xiao Bao",
                           "home_platform": "weibo",
                           "kind": "net_red", "brand_id": ""}]},
        "experiments": {DT: [{"experiment_id": "X1", "experiment_name": "Venue test",
                              "start_ts": "2016-11-01T00:00:00+08:00",
                              "end_ts": "2016-11-12T00:00:00+08:00", "control_variant": "control",
                              "allocation": '{"control": 0.5, "basic": 0.5}'}]},
        "orders": {DT: [
            {"order_id": "O1", "buyer_id": "B1", "brand_id": "BR1",
             "order_ts": "2016-11-11T10:00:00+08:00", "terminal": "mobile_app",
             "traffic_source": "search", "session_id": "S1", "store_id": "",
             "fulfilment": "warehouse_ship", "status": "paid", "order_amount": "23.00",
             "discount_amount": "2.50", "currency": "CNY", "updated_at": "2016-11-11T02:00:00Z"},
            {"order_id": "O2", "buyer_id": "B1", "brand_id": "BR1",
             "order_ts": "2016-11-11T11:00:00+08:00", "terminal": "offline_pos",
             "traffic_source": "offline", "session_id": "", "store_id": "ST1",
             "fulfilment": "in_store", "status": "paid", "order_amount": "5.50",
             "discount_amount": "0.00", "currency": "CNY",
             "updated_at": "2016-11-11T11:00:00+08:00"},
        ]},
        "order_items": {DT: [
            _line("O1", "1", "SKU1", "2", "10.00"),
            _line("O1", "2", "SKU2", "1", "5.50"),
            _line("O2", "1", "SKU2", "1", "5.50"),
        ]},
        "shipments": {DT: [
            {"order_id": "O1", "origin_type": "warehouse", "origin_id": "WH1",
             "shipped_ts": "2016-11-11T10:30:00+08:00",
             "promised_delivery_ts": "2016-11-13T10:00:00+08:00", "delivered_ts": "",
             "updated_at": "2016-11-11T10:30:00+08:00"},
        ]},
        "content_items": {DT: [
            {"content_id": "C1", "creator_id": "CR1", "brand_id": None,
             "content_type": "short_video",
             "platform": "weibo", "published_ts": "2016-11-11T08:00:00+08:00", "sku_ids": ["SKU1"]},
        ]},
        "content_events": {DT: [
            {"event_id": "E1", "event_ts": "2016-11-11T09:00:00+08:00", "platform": "weibo",
             "platform_user_id": "wb1", "content_id": "C1", "event_type": "view", "sku_id": None,
             "dwell_seconds": 30},
            {"event_id": "E2", "event_ts": "2016-11-11T09:01:00+08:00", "platform": "weibo",
             "platform_user_id": "wb1", "content_id": "C1", "event_type": "product_click",
             "sku_id": "SKU1", "dwell_seconds": None},
        ]},
        "creator_stats": {DT: [{"dt": DT, "creator_id": "CR1", "followers": 1200}]},
        "sessions": {DT: {
            "session_id": ["S1"], "visitor_id": ["tb1"], "buyer_id": ["B1"],
            "session_start_ts": pa.array([_ts("2016-11-11T09:55:00+08:00")], UTC_MS),
            "terminal": ["mobile_app"], "traffic_source": ["search"], "landing_page": ["venue"],
            "content_id": pa.array([None], pa.string()), "experiment_id": ["X1"],
            "variant": ["control"], "page_views": [3],
        }},
        "ad_spend": {DT: {
            "dt": pa.array([17116], pa.date32()), "brand_id": ["BR1"], "traffic_source": ["ads"],
            "spend_amount": pa.array([Decimal("100.00")], pa.decimal128(18, 2)),
            "impressions": [1000], "clicks": [10],
        }},
        "identity_links": {DT: {
            "platform": ["taobao"], "platform_user_id": ["tb1"], "buyer_id": ["B1"],
            "linked_at": pa.array([_ts("2016-11-10T20:00:00+08:00")], UTC_MS),
        }},
    }  # fmt: skip


def write_landing(root: Path, data: dict[str, dict[str, Any]], success: bool = True) -> Path:
    for name, deliveries in data.items():
        e = contract.entity(name)
        for dt, rows in deliveries.items():
            folder = root / e.source / e.name / f"dt={dt}"
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"part-0.{e.format}"
            if e.format == "csv":
                header = list(rows[0]) if rows else list(e.column_names)
                buf = io.StringIO()
                w = csv.DictWriter(buf, fieldnames=header, lineterminator="\n")
                w.writeheader()
                w.writerows(rows)
                path.write_text(buf.getvalue())
            elif e.format == "jsonl":
                path.write_text("".join(json.dumps(r) + "\n" for r in rows))
            else:
                pq.write_table(pa.table(rows), path)
            if success:
                (folder / contract.SUCCESS_MARKER).touch()
    return root


def run(tmp_path: Path, change: Callable[[dict], None] | None = None) -> Report:
    data = copy.deepcopy(base_landing())
    if change is not None:
        change(data)
    return audit(write_landing(tmp_path / "landing", data))


def found(report: Report) -> set[tuple[str, int, str]]:
    return {(f.entity, f.row_number, f.reason) for f in report.rows}


def test_a_valid_landing_zone_is_clean(tmp_path):
    report = run(tmp_path)
    assert report.clean, (report.rows, report.layout, report.unreadable)
    assert report.landed["orders"] == 2 and report.landed["order_items"] == 3
    assert report.landed["content_events"] == 2 and report.landed["sessions"] == 1


def test_a_bad_order_takes_its_lines_and_shipment_with_it(tmp_path):
    report = run(tmp_path, lambda d: d["orders"][DT][0].update(terminal="ipad"))
    assert found(report) == {
        ("orders", 1, "bad_enum"),
        ("order_items", 1, "unknown_reference"),
        ("order_items", 2, "unknown_reference"),
        ("shipments", 1, "unknown_reference"),
    }


def test_a_bad_line_takes_its_order_and_sibling_lines_down(tmp_path):
    report = run(tmp_path, lambda d: d["order_items"][DT][0].update(quantity="two"))
    assert found(report) == {
        ("order_items", 1, "bad_type"),
        ("order_items", 2, "items_not_reconciled"),
        ("orders", 1, "items_not_reconciled"),
        ("shipments", 1, "unknown_reference"),
    }


def test_lines_must_add_up_to_the_order(tmp_path):
    report = run(tmp_path, lambda d: d["orders"][DT][0].update(order_amount="24.00"))
    assert found(report) == {
        ("orders", 1, "items_not_reconciled"),
        ("order_items", 1, "items_not_reconciled"),
        ("order_items", 2, "items_not_reconciled"),
        ("shipments", 1, "unknown_reference"),
    }


def test_an_unknown_sku_fails_the_line_and_its_order(tmp_path):
    report = run(tmp_path, lambda d: d["order_items"][DT][2].update(sku_id="SKU9"))
    assert found(report) == {
        ("order_items", 3, "unknown_reference"),
        ("orders", 2, "items_not_reconciled"),
    }


def test_a_later_version_reconciles_against_earlier_lines(tmp_path):
    def refund(d: dict) -> None:
        later = dict(d["orders"][DT][0], status="refunded", updated_at="2016-11-13T09:00:00+08:00")
        wrong = dict(d["orders"][DT][1], status="refunded", order_amount="9.99",
                     updated_at="2016-11-13T09:00:00+08:00")  # fmt: skip
        d["orders"]["2016-11-13"] = [later, wrong]

    report = run(tmp_path, refund)
    assert found(report) == {("orders", 2, "items_not_reconciled")}
    assert report.rows[0].file == "sales/orders/dt=2016-11-13/part-0.csv"


def test_event_time_window_uses_the_offset(tmp_path):
    def shift(d: dict) -> None:
        events = d["content_events"][DT]
        events[0]["event_ts"] = "2016-11-11T16:30:00Z"  # 00:30 on Nov 12 in Shanghai: future
        events[1]["event_ts"] = "2016-11-03T23:59:59+08:00"  # more than 7 days before: late
        events.append(dict(events[0], event_id="E3", event_ts="2016-11-03T16:00:00Z"))  # 7 days

    report = run(tmp_path, shift)
    assert found(report) == {
        ("content_events", 1, "future_event"),
        ("content_events", 2, "late_beyond_window"),
    }


def test_json_values_must_have_their_column_type(tmp_path):
    def retype(d: dict) -> None:
        d["content_events"][DT][0]["dwell_seconds"] = "30"
        d["content_events"][DT][1]["platform_user_id"] = 12345
        d["creator_stats"][DT][0]["followers"] = 12.5

    report = run(tmp_path, retype)
    assert found(report) == {
        ("content_events", 1, "bad_type"),
        ("content_events", 2, "bad_type"),
        ("creator_stats", 1, "bad_type"),
    }
    assert {f.column for f in report.rows} == {"dwell_seconds", "platform_user_id", "followers"}


@pytest.mark.parametrize(
    ("entity", "row", "field", "value", "reason"),
    [
        ("orders", 0, "buyer_id", "", "missing_required"),
        ("orders", 0, "order_ts", "2016-11-11 10:00", "bad_type"),
        ("orders", 0, "order_amount", "23.001", "bad_type"),
        ("orders", 0, "order_amount", "12,30", "bad_type"),
        ("orders", 0, "session_id", "", "rule_violation"),
        ("orders", 0, "updated_at", "2016-11-11T09:00:00+08:00", "rule_violation"),
        ("orders", 0, "brand_id", "BR9", "unknown_reference"),
        ("order_items", 0, "quantity", "0", "out_of_range"),
        ("shipments", 0, "shipped_ts", "2016-11-11T09:00:00+08:00", "rule_violation"),
        ("shipments", 0, "origin_type", "store", "unknown_reference"),
        ("content_events", 1, "sku_id", None, "rule_violation"),
        ("content_events", 0, "content_id", "C9", "unknown_reference"),
    ],
)
def test_each_rule_gives_its_reason(tmp_path, entity, row, field, value, reason):
    report = run(tmp_path, lambda d: d[entity][DT][row].update({field: value}))
    own = [f for f in report.rows if f.entity == entity and f.row_number == row + 1]
    assert [f.reason for f in own] == [reason]


def test_sessions_variant_must_belong_to_the_experiment(tmp_path):
    report = run(tmp_path, lambda d: d["sessions"][DT].update(variant=["turbo"]))
    assert found(report) == {("sessions", 1, "rule_violation")}
    assert report.rows[0].column == "variant_with_experiment"


def test_exact_duplicates_are_counted_not_quarantined(tmp_path):
    report = run(
        tmp_path, lambda d: d["content_events"][DT].append(dict(d["content_events"][DT][1]))
    )
    assert report.rows == []
    assert report.duplicates == [
        ("content_events", "content/content_events/dt=2016-11-11/part-0.jsonl", 3)
    ]


def test_same_key_with_different_values_conflicts(tmp_path):
    report = run(tmp_path, lambda d: d["content_events"][DT].append(
        dict(d["content_events"][DT][0], dwell_seconds=31)))  # fmt: skip
    assert found(report) == {
        ("content_events", 1, "conflicting_duplicate"),
        ("content_events", 3, "conflicting_duplicate"),
    }


def test_file_level_failures_and_drift(tmp_path):
    def damage(d: dict) -> None:
        for row in d["buyers"][DT]:
            del row["city"]  # a required column is missing: the file is unreadable
        for row in d["order_items"][DT]:
            row["gift_wrap"] = "no"  # an unknown column: drift, the file still loads
        d["identity_links"][DT]["linked_at"] = pa.array(
            [_ts("2016-01-01T00:00:00Z")], pa.timestamp("ms")
        )

    report = run(tmp_path, damage)
    unreadable = {(e, f) for e, _, f, _ in report.unreadable}
    assert unreadable == {
        ("buyers", "reference/buyers/dt=2016-11-11/part-0.csv"),
        ("identity_links", "channel/identity_links/dt=2016-11-11/part-0.parquet"),
    }
    assert report.schema_drift == [
        ("order_items", "sales/order_items/dt=2016-11-11/part-0.csv", "gift_wrap")
    ]
    assert report.rows == [] and report.landed["order_items"] == 3


def test_truncated_files_fail_their_delivery(tmp_path):
    root = write_landing(tmp_path / "landing", base_landing())
    path = root / "channel/sessions" / f"dt={DT}" / "part-0.parquet"
    path.write_bytes(path.read_bytes()[:100])
    jsonl = root / "content/content_events" / f"dt={DT}" / "part-0.jsonl"
    jsonl.write_bytes(jsonl.read_bytes()[:-30])
    report = audit(root)
    assert {e for e, *_ in report.unreadable} == {"sessions", "content_events"}
    assert "sessions" not in report.landed and "content_events" not in report.landed


def test_folders_without_success_marker_are_not_read(tmp_path):
    root = write_landing(tmp_path / "landing", base_landing())
    (root / "channel/sessions" / f"dt={DT}" / contract.SUCCESS_MARKER).unlink()
    (root / "sales" / "notes").mkdir()
    report = audit(root)
    assert any("sessions/dt=2016-11-11 has no _SUCCESS" in m for m in report.layout)
    assert any("unknown entity folder sales/notes" in m for m in report.layout)
    assert "sessions" not in report.landed


def test_every_contract_rule_is_known_and_entities_are_ordered():
    order = [e.name for e in _dependency_order()]
    assert sorted(order) == sorted(e.name for e in contract.ENTITIES)
    assert order.index("order_items") == order.index("orders") - 1
    for later, earlier in [
        ("shipments", "orders"),
        ("skus", "brands"),
        ("content_events", "content_items"),
    ]:
        assert order.index(earlier) < order.index(later)
    for e in contract.ENTITIES:
        for rule in e.rules:
            _rule(e, rule)  # raises for a code the checker does not implement
    with pytest.raises(NotImplementedError):
        _rule(contract.ORDERS, contract.Rule("brand_new_rule", "", ("order_id",)))
