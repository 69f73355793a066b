"""The whole pipeline on simulated data: real Dagster runs, real dbt, real files.

The clean two-year world is the suite's shared, session-scoped build (`published_serving` in
conftest.py); tests here only read it, or copy it before changing anything. The faults test
simulates its own shorter landing zone, with faults planted and listed in truth.json.
"""

from __future__ import annotations

import json
import os
import shutil
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from orchestration.runner import run_pipeline
from shopsight import contract
from shopsight import warehouse as wh
from shopsight.settings import Settings
from tests.conftest import SIM_DAYS, SIM_START, make_settings
from tests.reliability_support import warehouse_state


def table_checksums(warehouse: Path) -> dict[str, tuple[int, int]]:
    """Row count and hash of every raw and mart table, without the columns that only say when a
    row was loaded or built (a re-run rewrites those and nothing else)."""
    return warehouse_state(warehouse)["tables"]


def test_a_clean_world_loads_without_quarantine_and_reconciles(
    published_serving: Settings, truth: dict[str, Any]
) -> None:
    with wh.connect(published_serving.warehouse, read_only=True) as con:
        assert con.execute("select count(*) from raw.quarantine").fetchone() == (0,)
        per_entity = dict(
            (e, (landed, loaded, dups, failed))
            for e, landed, loaded, dups, failed in con.execute(
                "select entity, sum(landed_rows), sum(loaded_rows), sum(duplicate_rows), "
                "count(*) filter (where status <> 'loaded') from ops.deliveries group by 1"
            ).fetchall()
        )
        off = con.execute(
            "select count(*) from ops.deliveries "
            "where landed_rows <> loaded_rows + quarantined_rows + duplicate_rows"
        ).fetchone()
        typed = {
            e.name: con.execute(f"select count(*) from raw.{e.name}").fetchone()[0]
            for e in contract.ENTITIES
        }
    assert off == (0,)
    for e in contract.ENTITIES:
        landed, loaded, dups, failed = per_entity[e.name]
        assert failed == 0
        assert landed == truth["entities"][e.name]["rows"], e.name
        assert loaded == typed[e.name] == landed - dups, e.name
    with wh.connect(published_serving.serving, read_only=True) as con:
        info = con.execute(
            "select run_id, data_from, data_through from ops.publish_info"
        ).fetchall()
        marts = con.execute(
            "select count(*) from information_schema.tables where table_schema = 'marts'"
        ).fetchone()[0]
        ops = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables where table_schema = 'ops'"
            ).fetchall()
        }
        runs = con.execute("select status from ops.runs").fetchall()
    assert len(info) == 1
    assert info[0][1] == SIM_START
    assert (info[0][2] - SIM_START).days == SIM_DAYS - 1
    assert marts > 5
    assert ops == {"deliveries", "runs", "check_results", "quarantine_summary", "publish_info"}
    assert runs == [("succeeded",)]


def test_late_versions_update_the_order_state(published_serving: Settings) -> None:
    with wh.connect(published_serving.warehouse, read_only=True) as con:
        versioned = con.execute(
            """
            select order_id, arg_max(status, updated_at) as latest, count(*) as versions,
                   count(distinct _dt) as deliveries
            from raw.orders group by 1 having count(*) > 1
            """
        ).fetchall()
        staged = dict(
            con.execute(
                "select order_id, status from staging.stg_sales__orders where order_id in "
                "(select order_id from raw.orders group by 1 having count(*) > 1)"
            ).fetchall()
        )
    assert len(versioned) > 10, "the simulated world should re-deliver some orders"
    assert any(deliveries > 1 for _, _, _, deliveries in versioned)  # late: another delivery
    for order_id, latest, _, _ in versioned:
        assert staged[order_id] == latest, order_id


def _linked_copy(src: Path, dst: Path) -> None:
    """Copy a landing zone cheaply (hard links): only ever replace files in it, never write."""
    shutil.copytree(src, dst, copy_function=os.link)


def test_running_again_and_redelivering_a_day_leave_identical_tables(
    tmp_path: Path, published_serving: Settings
) -> None:
    landing = tmp_path / "landing"
    _linked_copy(published_serving.landing_dir, landing)
    settings = make_settings(tmp_path, landing=landing)
    shutil.copy(published_serving.warehouse, settings.warehouse)
    before = table_checksums(settings.warehouse)

    again = run_pipeline(settings, progress=lambda line: None)
    assert again.success and again.deliveries == 0
    assert table_checksums(settings.warehouse) == before

    day = date(2016, 6, 18)
    redelivered = 0
    for marker in landing.glob(f"*/*/dt={day.isoformat()}/_SUCCESS"):
        marker.unlink()  # a new inode: the shared landing zone keeps its own marker
        marker.write_text("")
        st = marker.stat()
        os.utime(marker, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
        redelivered += 1
    assert redelivered >= 9
    lines: list[str] = []
    summary = run_pipeline(settings, progress=lines.append)
    assert summary.success, summary.message
    assert summary.deliveries == redelivered
    assert any(line.startswith(f"[ingest] {redelivered} entities") for line in lines), lines
    assert table_checksums(settings.warehouse) == before
    with wh.connect(settings.warehouse, read_only=True) as con:
        reloaded = con.execute(
            "select count(*) from ops.deliveries where run_id = ?", [summary.run_id]
        ).fetchone()
    assert reloaded == (redelivered,)
    # The second dbt build on this warehouse starts from the parse state the first one left
    # (orchestration/assets/dbt.py, keep_partial_parse) instead of parsing the project again.
    dbt_logs = settings.warehouse.parent / "logs" / "dbt"
    assert (dbt_logs / f"{again.run_id}.log").exists()
    assert "Unable to do partial parsing" not in (dbt_logs / f"{summary.run_id}.log").read_text()


FAULT_DAYS = 45


@pytest.fixture(scope="module")
def faulty_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Settings, dict, Any]:
    from shopsight.simulator import simulate

    root = tmp_path_factory.mktemp("faults")
    settings = make_settings(root)
    truth = simulate(settings.landing_dir, SIM_START, FAULT_DAYS, 0.01, 11, faults=0.01)
    summary = run_pipeline(settings, progress=lambda line: None)
    return settings, truth, summary


def test_every_planted_fault_is_quarantined_where_expected(faulty_run: tuple) -> None:
    settings, truth, _ = faulty_run
    expected = Counter(
        (r["entity"], r["file"], r["row_number"], r["reason"])
        for fault in truth["faults"]
        for r in fault["expected_rows"]
    )
    with wh.connect(settings.warehouse, read_only=True) as con:
        got = Counter(
            con.execute(
                "select entity, file, row_number, reason_code from raw.quarantine"
            ).fetchall()
        )
    assert len(expected) > 20
    assert got == expected


def test_no_valid_row_is_lost_and_nothing_broken_is_loaded(faulty_run: tuple) -> None:
    settings, truth, _ = faulty_run
    expected_q = Counter(r["entity"] for f in truth["faults"] for r in f["expected_rows"])
    dups = Counter(d["entity"] for d in truth["duplicates"])
    lost = {t["entity"]: t for t in truth["truncated_files"]}
    broken = {
        (r["entity"], r["file"], r["row_number"])
        for f in truth["faults"]
        for r in f["expected_rows"]
    }
    with wh.connect(settings.warehouse, read_only=True) as con:
        for e in contract.ENTITIES:
            landed, loaded, failed_landed = con.execute(
                "select coalesce(sum(landed_rows), 0), coalesce(sum(loaded_rows), 0), "
                "count(*) filter (where status = 'failed') from ops.deliveries where entity = ?",
                [e.name],
            ).fetchone()
            typed = con.execute(f"select count(*) from raw.{e.name}").fetchone()[0]
            # truth counts the rows of readable files: the truncated one never lands
            assert landed == truth["entities"][e.name]["rows"], e.name
            assert failed_landed == (1 if e.name in lost else 0), e.name
            assert loaded == typed == landed - expected_q[e.name] - dups[e.name], e.name
            leaked = con.execute(
                f"select count(*) from raw.{e.name} r join (select unnest(?) as f, "
                "unnest(?) as n) b on r._source_file = b.f and r._row_number = b.n",
                [
                    [f for ent, f, _ in broken if ent == e.name] or [""],
                    [n for ent, _, n in broken if ent == e.name] or [0],
                ],
            ).fetchone()[0]
            assert leaked == 0, e.name


def test_the_truncated_file_fails_its_partition_readably(faulty_run: tuple) -> None:
    settings, truth, summary = faulty_run
    (lost,) = truth["truncated_files"]
    assert not summary.success
    assert f"{lost['entity']}:readable_deliveries" in " ".join(summary.failed_checks)
    (failure,) = [f for f in summary.failed_deliveries if f.startswith(lost["entity"])]
    assert failure.startswith(f"{lost['entity']} dt={lost['dt']}: {lost['file']}: ")
    with wh.connect(settings.warehouse, read_only=True) as con:
        days = con.execute(f"select count(distinct _dt) from raw.{lost['entity']}").fetchone()[0]
        status = con.execute(
            "select status, error from ops.deliveries where entity = ? and dt = ?",
            [lost["entity"], lost["dt"]],
        ).fetchone()
    assert days == FAULT_DAYS - 1  # every other partition loaded
    assert status[0] == "failed" and lost["file"] in status[1]


def test_schema_drift_is_reported_and_the_files_still_load(faulty_run: tuple) -> None:
    settings, truth, _ = faulty_run
    with wh.connect(settings.warehouse, read_only=True) as con:
        drift = set(
            con.execute(
                "select entity, schema_drift from ops.deliveries where schema_drift is not null"
            ).fetchall()
        )
    assert drift == {(d["entity"], d["column"]) for d in truth["schema_drift"]}
    assert json.dumps(sorted(drift))  # readable as plain pairs
