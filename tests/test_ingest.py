"""Ingestion on hand-made deliveries: every contract rule, file failures, idempotency.

These tests call `shopsight.ingest` directly (no Dagster) on small landing zones written by
`tests/landing_factory.py`, so each rule is exercised on a row we broke on purpose and the
expected reason, file and row number are known without any simulator.
"""

from __future__ import annotations

import copy
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from shopsight import contract
from shopsight import warehouse as wh
from shopsight.ingest import discover, ingest
from tests.landing_factory import folder, mark_success, write, write_world
from tests.landing_factory import world as make_world

D1 = date(2015, 3, 1)
D2 = date(2015, 3, 2)


def quarantine(warehouse: Path) -> list[tuple[Any, ...]]:
    with wh.connect(warehouse, read_only=True) as con:
        return con.execute(
            "select entity, dt, file, row_number, column_name, reason_code, message "
            "from raw.quarantine order by entity, dt, file, row_number"
        ).fetchall()


def count(warehouse: Path, sql: str) -> Any:
    with wh.connect(warehouse, read_only=True) as con:
        return con.execute(sql).fetchone()[0]  # type: ignore[index]


def checksums(warehouse: Path) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent hash per raw table, lineage time excluded."""
    out = {}
    with wh.connect(warehouse, read_only=True) as con:
        for e in [*contract.ENTITIES, None]:
            table, skip = (f"raw.{e.name}", "_loaded_at") if e else ("raw.quarantine", "loaded_at")
            out[table] = con.execute(
                f"select count(*), coalesce(sum(hash(s)), 0) from "
                f"(select * exclude ({skip}) from {table}) s"
            ).fetchone()
    return out  # type: ignore[return-value]


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    return tmp_path / "landing"


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    return tmp_path / "warehouse.duckdb"


def test_clean_deliveries_load_without_quarantine(landing: Path, warehouse: Path) -> None:
    worlds = {d: write_world(landing, d) for d in (D1, D2)}
    loads = ingest(warehouse, landing, "t")
    assert quarantine(warehouse) == []
    for e in contract.ENTITIES:
        expected = sum(len(w[e.name]) for w in worlds.values())
        assert loads[e.name].total("loaded") == expected, e.name
        assert count(warehouse, f"select count(*) from raw.{e.name}") == expected
        assert all(d.reconciles and d.status == "loaded" for d in loads[e.name].deliveries)
    # Offsets are normalised to instants: 10:00 in Shanghai is 02:00 UTC.
    first = count(warehouse, "select min(order_ts) from raw.orders")
    assert first.isoformat() == "2015-03-01T02:00:00+00:00"
    assert count(warehouse, "select min(_source_file) from raw.orders") == (
        "sales/orders/dt=2015-03-01/part-0.csv"
    )
    assert count(warehouse, "select min(_row_number) from raw.orders") == 1
    assert count(warehouse, "select list_sort(list(distinct _dt))::varchar from raw.orders") == (
        "[2015-03-01, 2015-03-02]"
    )
    assert count(warehouse, "select sku_ids::varchar from raw.content_items limit 1") == "[s1]"


def test_offsets_of_every_spelling_are_the_same_instant(landing: Path, warehouse: Path) -> None:
    w = make_world(D1, orders=4)
    for row, offset, hour in zip(
        w["orders"], ("+08:00", "Z", "+0800", "+09:00"), (10, 2, 10, 11), strict=True
    ):
        row["order_ts"] = row["updated_at"] = f"2015-03-01T{hour:02d}:00:00{offset}"
    write_world(landing, D1, w)
    ingest(warehouse, landing, "t")
    assert quarantine(warehouse) == []
    assert count(warehouse, "select count(distinct order_ts) from raw.orders") == 1


# (entity, row index, changes, expected reason, expected column, text in the message)
ROW_FAULTS: list[tuple[str, int, dict[str, Any], str, str | None, str]] = [
    ("orders", 0, {"buyer_id": ""}, "missing_required", "buyer_id", "empty"),
    ("orders", 1, {"order_ts": "2015-02-30T10:00:00+08:00"}, "bad_type", "order_ts", "2015-02-30"),
    ("orders", 1, {"order_ts": "2015-03-01T10:00:00"}, "bad_type", "order_ts", "offset"),
    ("orders", 2, {"order_amount": "9.999"}, "bad_type", "order_amount", "9.999"),
    ("orders", 0, {"terminal": "tablet"}, "bad_enum", "terminal", "tablet"),
    ("orders", 0, {"currency": "USD"}, "bad_enum", "currency", "USD"),
    ("order_items", 1, {"quantity": "0"}, "out_of_range", "quantity", "minimum"),
    ("order_items", 1, {"quantity": "1.5"}, "bad_type", "quantity", "integer"),
    ("orders", 0, {"session_id": ""}, "rule_violation", "session_id", "session_required_online"),
    (
        "orders",
        1,
        {"fulfilment": "store_pickup"},
        "rule_violation",
        "store_id",
        "store_required_for_store_fulfilment",
    ),
    (
        "orders",
        2,
        {"updated_at": "2015-03-01T09:00:00+08:00"},
        "rule_violation",
        "updated_at",
        "updated_not_before_order",
    ),
    (
        "orders",
        0,
        {"updated_at": "2015-03-02T00:00:00+08:00"},
        "future_event",
        "updated_at",
        "after",
    ),
    (
        "orders",
        0,
        {"order_ts": "2015-02-20T10:00:00+08:00", "updated_at": "2015-02-21T23:59:59+08:00"},
        "late_beyond_window",
        "updated_at",
        "7 days",
    ),
    ("orders", 1, {"brand_id": "b99"}, "unknown_reference", "brand_id", "reference/brands"),
    ("order_items", 0, {"sku_id": "s99"}, "unknown_reference", "sku_id", "reference/skus"),
    ("orders", 2, {"order_amount": "25.00"}, "items_not_reconciled", "order_amount", "add up"),
    (
        "shipments",
        0,
        {"origin_type": "store", "origin_id": "st9"},
        "unknown_reference",
        "origin_id",
        "store_origin_is_store",
    ),
    (
        "shipments",
        1,
        {"shipped_ts": "2015-03-01T09:00:00+08:00"},
        "rule_violation",
        "shipped_ts",
        "shipped_not_before_order",
    ),
    (
        "content_events",
        0,
        {"dwell_seconds": None},
        "rule_violation",
        "dwell_seconds",
        "dwell_only_for_view",
    ),
    (
        "content_events",
        1,
        {"sku_id": None},
        "rule_violation",
        "sku_id",
        "sku_only_for_product_click",
    ),
    (
        "content_events",
        1,
        {"content_id": "nope"},
        "unknown_reference",
        "content_id",
        "content_items",
    ),
    ("content_events", 0, {"dwell_seconds": "long"}, "bad_type", "dwell_seconds", "long"),
    ("content_events", 0, {"platform_user_id": {"a": 1}}, "bad_type", "platform_user_id", "text"),
    ("content_items", 0, {"sku_ids": "s1"}, "bad_type", "sku_ids", "JSON array"),
    ("content_items", 0, {"creator_id": "c9"}, "unknown_reference", "creator_id", "creators"),
    ("creator_stats", 0, {"followers": -1}, "out_of_range", "followers", "minimum"),
    ("creator_stats", 0, {"dt": "2015-03-02"}, "future_event", "dt", "after"),
    ("sessions", 0, {"variant": "z"}, "rule_violation", "experiment_id", "variant_with_experiment"),
    (
        "sessions",
        0,
        {"traffic_source": "search"},
        "rule_violation",
        "content_id",
        "content_only_from_content_traffic",
    ),
    ("sessions", 0, {"page_views": 0}, "out_of_range", "page_views", "minimum"),
    ("sessions", 0, {"terminal": "offline_pos"}, "bad_enum", "terminal", "offline_pos"),
    ("ad_spend", 0, {"clicks": 5000}, "rule_violation", "clicks", "clicks_within_impressions"),
    ("ad_spend", 0, {"brand_id": "b77"}, "unknown_reference", "brand_id", "brands"),
    ("identity_links", 0, {"buyer_id": None}, "missing_required", "buyer_id", "empty"),
    (
        "experiments",
        0,
        {"allocation": '{"a": 0.5, "b": 0.4}'},
        "rule_violation",
        "allocation",
        "allocation_is_valid",
    ),
    (
        "experiments",
        0,
        {"allocation": '{"x": 0.5, "b": 0.5}'},
        "rule_violation",
        "allocation",
        "allocation_is_valid",
    ),
    (
        "experiments",
        0,
        {"end_ts": "2014-11-01T00:00:00+08:00"},
        "rule_violation",
        "start_ts",
        "end_after_start",
    ),
    ("brands", 0, {"is_flagship": "maybe"}, "bad_type", "is_flagship", "maybe"),
    ("stores", 0, {"opened_on": "2014/05/01"}, "bad_type", "opened_on", "2014/05/01"),
    ("skus", 1, {"list_price": "-2.50"}, "out_of_range", "list_price", "minimum"),
]


@pytest.mark.parametrize(
    ("entity", "index", "changes", "reason", "column", "message"),
    ROW_FAULTS,
    ids=[f"{f[0]}-{f[3]}-{'-'.join(f[2])}" for f in ROW_FAULTS],
)
def test_a_broken_row_is_quarantined_with_its_first_reason(
    landing: Path,
    warehouse: Path,
    entity: str,
    index: int,
    changes: dict[str, Any],
    reason: str,
    column: str | None,
    message: str,
) -> None:
    w = make_world(D1)
    w[entity][index].update(changes)
    write_world(landing, D1, w)
    loads = ingest(warehouse, landing, "t")
    rows = [q for q in quarantine(warehouse) if q[0] == entity]
    ext = {"csv": "csv", "jsonl": "jsonl", "parquet": "parquet"}[contract.entity(entity).format]
    src = contract.entity(entity).key
    assert rows, f"nothing of {entity} quarantined; quarantine: {quarantine(warehouse)}"
    _, q_dt, q_file, q_row, q_col, q_reason, q_msg = rows[0]
    assert (q_dt, q_file, q_row) == (D1, f"{src}/dt=2015-03-01/part-0.{ext}", index + 1)
    assert (q_reason, q_col) == (reason, column), q_msg
    assert message in q_msg
    assert len(rows) == 1
    # The broken row is not in the typed table; everything else of the entity is.
    assert loads[entity].total("loaded") == len(w[entity]) - 1
    for e in contract.ENTITIES:
        assert all(d.reconciles for d in loads[e.name].deliveries), e.name


def test_an_order_and_its_lines_stand_or_fall_together(landing: Path, warehouse: Path) -> None:
    w = make_world(D1)
    w["orders"][0]["terminal"] = "tablet"  # order 0 broken -> its line and shipment follow
    w["order_items"][1]["quantity"] = "-1"  # line of order 1 broken -> order 1 follows
    w["order_items"].append(  # a second, valid line of order 1 goes with it
        {
            "order_id": w["orders"][1]["order_id"],
            "line_no": "2",
            "sku_id": "s2",
            "quantity": "1",
            "unit_price": "0.00",
        }
    )
    write_world(landing, D1, w)
    ingest(warehouse, landing, "t")
    got = {(q[0], q[3], q[5]) for q in quarantine(warehouse)}
    assert got == {
        ("orders", 1, "bad_enum"),
        ("order_items", 1, "unknown_reference"),
        ("shipments", 1, "unknown_reference"),
        ("order_items", 2, "out_of_range"),
        ("orders", 2, "items_not_reconciled"),
        ("order_items", 4, "items_not_reconciled"),
        ("shipments", 2, "unknown_reference"),
    }
    msgs = {q[3]: q[6] for q in quarantine(warehouse) if q[0] == "order_items"}
    assert "bad_enum" in msgs[1]
    assert count(warehouse, "select count(*) from raw.orders") == 1
    assert count(warehouse, "select count(*) from raw.order_items") == 1


def test_an_order_without_lines_is_not_reconciled(landing: Path, warehouse: Path) -> None:
    w = make_world(D1)
    del w["order_items"][2]
    write_world(landing, D1, w)
    ingest(warehouse, landing, "t")
    got = [(q[0], q[3], q[5], q[6]) for q in quarantine(warehouse) if q[0] == "orders"]
    assert got == [
        ("orders", 3, "items_not_reconciled", f"order {w['orders'][2]['order_id']} has no lines")
    ]


def test_duplicates_exact_and_conflicting(landing: Path, warehouse: Path) -> None:
    w = make_world(D1)
    w["content_events"].append(dict(w["content_events"][0]))  # exact copy: a duplicate
    conflicting = dict(w["creator_stats"][0], followers=101)  # same key, other value
    w["creator_stats"].append(conflicting)
    write_world(landing, D1, w)
    loads = ingest(warehouse, landing, "t")
    events = loads["content_events"].deliveries[0]
    assert (events.landed, events.loaded, events.quarantined, events.duplicates) == (3, 2, 0, 1)
    stats = [(q[3], q[5]) for q in quarantine(warehouse) if q[0] == "creator_stats"]
    assert stats == [(1, "conflicting_duplicate"), (2, "conflicting_duplicate")]
    assert loads["creator_stats"].deliveries[0].reconciles


def test_versions_of_an_order_are_kept_and_late_versions_use_earlier_lines(
    landing: Path, warehouse: Path
) -> None:
    w1 = make_world(D1)
    write_world(landing, D1, w1)
    w2 = make_world(D2, orders=1)
    refunded = dict(w1["orders"][0], status="refunded", updated_at="2015-03-02T12:00:00+08:00")
    w2["orders"].append(refunded)  # a newer version, delivered without its lines
    write_world(landing, D2, w2)
    ingest(warehouse, landing, "t")
    assert quarantine(warehouse) == []
    versions = count(
        warehouse,
        f"select list(status order by updated_at)::varchar from raw.orders "
        f"where order_id = '{refunded['order_id']}'",
    )
    assert versions == "[paid, refunded]"


def test_unreadable_files_fail_their_delivery_only(landing: Path, warehouse: Path) -> None:
    days = [D1 + timedelta(days=i) for i in range(4)]
    for d in days:
        write_world(landing, d)
    truncated = folder(landing, "orders", days[0]) / "part-0.csv"
    text = truncated.read_text()
    truncated.write_text(text[: len(text) - 30])  # cut inside the last row
    jsonl = folder(landing, "content_events", days[1]) / "part-0.jsonl"
    jsonl.write_text(jsonl.read_text()[:-20])
    parquet = folder(landing, "sessions", days[2]) / "part-0.parquet"
    parquet.write_bytes(parquet.read_bytes()[:200])
    no_column = make_world(days[3])["skus"]
    for r in no_column:
        del r["list_price"]
    write(landing, "skus", days[3], no_column)
    (folder(landing, "brands", days[3]) / "notes.txt").write_text("hello")

    loads = ingest(warehouse, landing, "t")
    failed = {(e, d.dt): d.error for e, load in loads.items() for d in load.failed}
    assert set(failed) == {
        ("orders", days[0]),
        ("order_items", days[0]),  # an order and its lines stand or fall together
        ("content_events", days[1]),
        ("sessions", days[2]),
        ("skus", days[3]),
        ("brands", days[3]),
    }
    assert "sales/orders/dt=2015-03-01/part-0.csv" in failed[("orders", days[0])]
    assert "Expected Number of Columns" in failed[("orders", days[0])]
    assert "content_events/dt=2015-03-02/part-0.jsonl" in failed[("content_events", days[1])]
    assert "part-0.parquet" in failed[("sessions", days[2])]
    assert "missing required column(s) list_price" in failed[("skus", days[3])]
    assert "notes.txt" in failed[("brands", days[3])]
    # Nothing of a failed delivery is loaded; the other days of the same entity are.
    assert count(warehouse, f"select count(*) from raw.orders where _dt = '{days[0]}'") == 0
    assert count(warehouse, "select count(distinct _dt) from raw.orders") == 3
    with wh.connect(warehouse, read_only=True) as con:
        status = con.execute(
            "select status, error is not null from ops.deliveries "
            f"where entity = 'orders' and dt = '{days[0]}'"
        ).fetchone()
    assert status == ("failed", True)


@pytest.mark.parametrize("which", range(5))
def test_a_truncated_json_lines_file_among_many_fails_its_delivery(
    landing: Path, warehouse: Path, which: int
) -> None:
    """DuckDB's multi-file JSON reader sometimes drops a truncated last line without an error;
    the loader's own line count must catch it wherever the file sits among the others."""
    days = [D1 + timedelta(days=i) for i in range(5)]
    for d in days:
        write_world(landing, d)
    cut = folder(landing, "content_events", days[which]) / "part-0.jsonl"
    cut.write_text(cut.read_text()[:-20])
    loads = ingest(warehouse, landing, "t")
    failed = {d.dt for d in loads["content_events"].failed}
    assert failed == {days[which]}
    loaded = sum(d.loaded for d in loads["content_events"].deliveries)
    assert count(warehouse, "select count(*) from raw.content_events") == loaded


@pytest.mark.parametrize("cut", [3, 12, 40])
def test_a_text_file_cut_inside_its_last_row_fails_as_truncated(
    landing: Path, warehouse: Path, cut: int
) -> None:
    write_world(landing, D1)
    path = folder(landing, "orders", D1) / "part-0.csv"
    path.write_bytes(path.read_bytes()[:-cut])
    loads = ingest(warehouse, landing, "t")
    (failed,) = loads["orders"].failed
    assert failed.error is not None and failed.error.startswith(
        "sales/orders/dt=2015-03-01/part-0.csv: "
    )
    assert "truncated" in failed.error or "Expected Number of Columns" in failed.error
    # The lines of that day's orders fail with them instead of being quarantined one by one.
    (lines,) = loads["order_items"].failed
    assert "orders delivery of this dt failed" in (lines.error or "")
    # Shipments of orders that were not loaded point at nothing (the policy's last line).
    assert {(q[0], q[5]) for q in quarantine(warehouse)} == {("shipments", "unknown_reference")}


def test_a_last_row_without_line_break_is_fine_when_valid(landing: Path, warehouse: Path) -> None:
    write_world(landing, D1)
    path = folder(landing, "orders", D1) / "part-0.csv"
    path.write_bytes(path.read_bytes().rstrip(b"\n"))
    loads = ingest(warehouse, landing, "t")
    assert not loads["orders"].failed
    assert loads["orders"].total("loaded") == 3


def test_unknown_columns_are_schema_drift_not_failure(landing: Path, warehouse: Path) -> None:
    w = make_world(D1)
    for r in w["orders"]:
        r["coupon_code"] = "X1"
    write_world(landing, D1, {k: v for k, v in w.items() if k != "orders"})
    write(landing, "orders", D1, w["orders"])
    loads = ingest(warehouse, landing, "t")
    assert loads["orders"].drift == ["coupon_code"]
    assert loads["orders"].total("loaded") == len(w["orders"])
    assert count(warehouse, "select schema_drift from ops.deliveries where entity = 'orders'") == (
        "coupon_code"
    )


def test_reingesting_is_idempotent_and_redelivery_replaces_one_day(
    landing: Path, warehouse: Path
) -> None:
    for d in (D1, D2):
        w = make_world(d)
        w["orders"][0]["terminal"] = "tablet"  # keep some quarantine rows in play
        write_world(landing, d, w)
    ingest(warehouse, landing, "a")
    first = checksums(warehouse)
    assert ingest(warehouse, landing, "b") == {}  # nothing pending: nothing touched
    ingest(warehouse, landing, "c", full_refresh=True)
    assert checksums(warehouse) == first

    # Re-deliver D2 with one more order: only D2 is reloaded, and D2's old rows are replaced.
    w2 = make_world(D2, orders=4)
    write_world(landing, D2, w2)
    for e in contract.ENTITIES:
        mark_success(landing, e.name, D2, bump=5)
    todo = ingest(warehouse, landing, "d")
    assert {d.dt for load in todo.values() for d in load.deliveries} == {D2}
    assert count(warehouse, f"select count(*) from raw.orders where _dt = '{D2}'") == 4
    assert count(warehouse, "select count(*) from raw.quarantine where dt = DATE '2015-03-02'") == 0
    # Putting the original D2 back gives back the original tables exactly.
    w_orig = make_world(D2)
    w_orig["orders"][0]["terminal"] = "tablet"
    for p in folder(landing, "orders", D2).parent.parent.rglob(f"dt={D2}/part-0.*"):
        p.unlink()
    write_world(landing, D2, w_orig)
    for e in contract.ENTITIES:
        mark_success(landing, e.name, D2, bump=10)
    ingest(warehouse, landing, "e")
    assert checksums(warehouse) == first


def test_incomplete_deliveries_are_not_discovered(landing: Path) -> None:
    write(landing, "orders", D1, make_world(D1)["orders"], success=False)
    write(landing, "orders", D2, make_world(D2)["orders"])
    assert [(d.entity, d.dt) for d in discover(landing)] == [("orders", D2)]


def test_many_deliveries_load_in_one_batch(landing: Path, warehouse: Path) -> None:
    days = [D1 + timedelta(days=i) for i in range(40)]
    base = make_world(D1)
    for d in days:
        w = copy.deepcopy(make_world(d))
        w["brands"], w["skus"] = base["brands"], base["skus"]
        write_world(landing, d, w)
    loads = ingest(warehouse, landing, "t")
    assert len(loads["orders"].deliveries) == 40
    assert loads["orders"].total("loaded") == 120
    assert quarantine(warehouse) == []


def test_loading_date_by_date_equals_loading_one_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Bounded batches (`SHOPSIGHT_INGEST_BATCH_MB`) must not change a single row or verdict:
    a faulty simulated week loaded one delivery date per batch equals the same week loaded as
    one batch, raw tables, quarantine and bookkeeping alike."""
    from shopsight.ingest.loader import batches
    from shopsight.simulator import simulate

    landing = tmp_path / "landing"
    simulate(landing, date(2015, 11, 6), 8, 0.01, 5, faults=0.03, truth_path=tmp_path / "t.json")
    found = discover(landing)
    assert len(batches(found, 1)) == len({d.dt for d in found}) == 8
    assert len(batches(found, 1 << 40)) == 1

    one_batch = tmp_path / "one.duckdb"
    ingest(one_batch, landing, "one")
    monkeypatch.setenv("SHOPSIGHT_INGEST_BATCH_MB", "0.000001")  # one byte: a date per batch
    by_date = tmp_path / "by_date.duckdb"
    loads = ingest(by_date, landing, "by_date")

    assert checksums(by_date) == checksums(one_batch)
    assert quarantine(by_date) == quarantine(one_batch) != []
    ledger = (
        "select entity, dt, files, landed_rows, loaded_rows, quarantined_rows, duplicate_rows, "
        "schema_drift, status, error from ops.deliveries order by entity, dt"
    )
    with wh.connect(one_batch, read_only=True) as a, wh.connect(by_date, read_only=True) as b:
        assert a.execute(ledger).fetchall() == b.execute(ledger).fetchall()
    assert all(d.reconciles for load in loads.values() for d in load.deliveries)


def test_a_malformed_batch_size_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    from shopsight.ingest.loader import batch_bytes_limit

    monkeypatch.setenv("SHOPSIGHT_INGEST_BATCH_MB", "lots")
    with pytest.raises(ValueError, match="SHOPSIGHT_INGEST_BATCH_MB='lots'"):
        batch_bytes_limit()
    monkeypatch.setenv("SHOPSIGHT_INGEST_BATCH_MB", "64")
    assert batch_bytes_limit() == 64 * 1024 * 1024


def test_copies_and_conflicts_are_judged_among_rows_that_break_no_rule(
    landing: Path, warehouse: Path
) -> None:
    """Copies and repeated keys are numbered only among rows without a reason of their own:
    a broken row keeps its own reason whether or not it repeats, and does not make a valid row
    with its key a conflicting duplicate."""
    w = make_world(D1)
    valid, other = w["content_events"][0], w["content_events"][1]
    broken = dict(valid, event_id="ev-broken", event_type="teleport")
    conflict = dict(other, platform_user_id="someone-else")
    twin_of_valid_key = dict(valid, event_type="teleport")  # same key, broken on its own
    w["content_events"] += [
        dict(valid),  # rows 3-4: exact copies of row 1 -> duplicates
        dict(valid),
        broken,  # rows 5-6: a broken row and its copy -> both bad_enum
        dict(broken),
        conflict,  # row 7: row 2's key with another value -> rows 2, 7, 8 conflict
        dict(conflict),  # row 8: an exact copy of a conflicting row conflicts too
        twin_of_valid_key,  # row 9: bad_enum; row 1 still loads
    ]
    write_world(landing, D1, w)
    loads = ingest(warehouse, landing, "t")
    events = loads["content_events"].deliveries[0]
    got = sorted((q[3], q[5]) for q in quarantine(warehouse) if q[0] == "content_events")
    assert got == [
        (2, "conflicting_duplicate"),
        (5, "bad_enum"),
        (6, "bad_enum"),
        (7, "conflicting_duplicate"),
        (8, "conflicting_duplicate"),
        (9, "bad_enum"),
    ]
    assert (events.landed, events.loaded, events.quarantined, events.duplicates) == (9, 1, 6, 2)
    assert count(warehouse, "select list(_row_number) from raw.content_events") == [1]
