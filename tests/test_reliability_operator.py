"""Operator mistakes and recovery: each gives a clear message and a safe outcome.

- warehouse deleted, or replaced by an older copy; landing zone missing; a delivery re-sent with
  fewer rows; a delivery dated (or holding events) far in the future;
- `shopsight doctor` says what is wrong in plain words and exits non-zero when something is;
- `shopsight backfill --from D --to D` reloads a range and ends exactly where a clean build is.

Most cases use ingestion directly (no dbt) on copies of the shared clean build, so they cost
seconds; the backfill runs the whole pipeline once.
"""

from __future__ import annotations

import json
import shutil
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest

from shopsight import contract
from shopsight import warehouse as wh
from shopsight.ingest import ingest
from shopsight.settings import Settings
from tests.reliability_support import (
    REL_DAYS,
    REL_START,
    RESENT_DAY,
    RESENT_ENTITY,
    Command,
    copy_deployment,
    diff,
    redeliver,
    reference,
    resend_with_fewer_rows,
    run_command,
    serving_state,
    warehouse_state,
)

pytestmark = pytest.mark.timeout(1200)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return reference(tmp_path_factory).original


def doctor(settings: Settings, tmp_path: Path) -> tuple[int, str]:
    return run_command(settings, ["doctor"], tmp_path / "doctor.log")


def test_doctor_passes_a_healthy_deployment(built: Settings, tmp_path: Path) -> None:
    rc, out = doctor(built, tmp_path)
    assert rc == 0, out
    assert "FAIL" not in out and "doctor: " in out


def test_doctor_skips_a_warehouse_being_written(built: Settings, tmp_path: Path) -> None:
    settings = copy_deployment(built, tmp_path / "d", landing=built.landing_dir)
    with wh.writer_lock(settings.warehouse), wh.connect(settings.warehouse):
        rc, out = doctor(settings, tmp_path)
    assert rc == 0, out
    assert "a pipeline run is writing the warehouse right now" in out


def test_warehouse_deleted(built: Settings, tmp_path: Path) -> None:
    settings = copy_deployment(built, tmp_path / "d", landing=built.landing_dir)
    before = serving_state(settings.serving)
    settings.warehouse.unlink()
    rc, out = doctor(settings, tmp_path)
    assert rc == 1
    assert "there is no warehouse at" in out and "shopsight run" in out
    # The dashboard keeps its last snapshot meanwhile.
    assert serving_state(settings.serving) == before


def test_warehouse_replaced_by_an_older_copy(built: Settings, tmp_path: Path) -> None:
    """The older copy knows the first days only (loaded without any run); the serving file is
    the newer deployment's."""
    settings = copy_deployment(built, tmp_path / "d", landing=built.landing_dir)
    settings.warehouse.unlink()
    last_old_day = REL_START + timedelta(days=REL_DAYS - 4)
    ingest(settings.warehouse, settings.landing_dir, "older-copy", dt_through=last_old_day)
    rc, out = doctor(settings, tmp_path)
    assert rc == 1, out
    assert "which the warehouse has no record of" in out
    assert "replaced by an older copy" in out
    assert "the next run loads them" in out  # the newer deliveries are pending again
    # The safe outcome: loading what is pending brings raw back to the clean build's.
    ingest(settings.warehouse, settings.landing_dir, "recover")
    got = warehouse_state(settings.warehouse)
    want = warehouse_state(built.warehouse)
    raw = {k: v for k, v in got["tables"].items() if k.startswith("raw.")}
    raw_want = {k: v for k, v in want["tables"].items() if k.startswith("raw.")}
    assert not diff(raw, raw_want), diff(raw, raw_want)
    assert got["deliveries"] == want["deliveries"]


def test_landing_zone_missing(built: Settings, tmp_path: Path) -> None:
    settings = copy_deployment(built, tmp_path / "d", landing=tmp_path / "no-such-landing")
    before = warehouse_state(settings.warehouse)
    rc, out = doctor(settings, tmp_path)
    assert rc == 1 and "the landing zone" in out and "does not exist" in out
    rc, out = run_command(
        settings, ["backfill", "--from", str(REL_START), "--to", str(REL_START)], tmp_path / "b"
    )
    assert rc == 2 and "does not exist" in out and "nothing was changed" in out
    assert warehouse_state(settings.warehouse) == before


@pytest.mark.xfail(
    reason="known gap: `shopsight run` without a landing zone rebuilds and re-publishes instead "
    "of refusing (not run: it would be a whole pipeline run)",
    run=False,
)
def test_run_refuses_without_landing_zone(built: Settings, tmp_path: Path) -> None:
    settings = copy_deployment(built, tmp_path / "d", landing=tmp_path / "no-such-landing")
    before = warehouse_state(settings.warehouse)
    rc, out = run_command(settings, ["run"], tmp_path / "run.log")
    assert rc == 2 and "does not exist" in out and "nothing was changed" in out
    assert warehouse_state(settings.warehouse) == before


def test_delivery_resent_with_fewer_rows_replaces_the_old_one(
    built: Settings, tmp_path: Path
) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(built.landing_dir, landing)
    settings = copy_deployment(built, tmp_path / "d", landing=landing)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        before = con.execute(
            "select landed_rows from ops.deliveries where entity = ? and dt = ?",
            [RESENT_ENTITY, RESENT_DAY],
        ).fetchone()[0]  # type: ignore[index]
    kept = resend_with_fewer_rows(landing)
    assert kept < before
    rc, out = doctor(settings, tmp_path)
    assert rc == 0 and "re-delivered since the last load" in out
    loads = ingest(settings.warehouse, landing, "resent")
    (result,) = loads[RESENT_ENTITY].deliveries
    assert result.landed == kept and result.reconciles
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        rows = con.execute(
            f"select count(*) from raw.{RESENT_ENTITY} where _dt = ?", [RESENT_DAY]
        ).fetchone()[0]  # type: ignore[index]
        quarantined = con.execute(
            "select count(*) from raw.quarantine where entity = ? and dt = ?",
            [RESENT_ENTITY, RESENT_DAY],
        ).fetchone()[0]  # type: ignore[index]
    # Replaced, not added to: exactly the new delivery's rows are in the warehouse.
    assert rows + quarantined + result.duplicates == kept
    rc, out = doctor(settings, tmp_path)
    assert "FAIL" not in out, out


def test_events_from_the_future_are_quarantined(built: Settings, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(built.landing_dir, landing)
    settings = copy_deployment(built, tmp_path / "d", landing=landing)
    e = contract.entity("content_events")
    path = sorted((landing / e.source / e.name / f"dt={RESENT_DAY}").glob("*.jsonl"))[0]
    lines = path.read_text().splitlines()
    row = json.loads(lines[0])
    row["event_ts"] = "2099-01-01T00:00:00+08:00"
    path.write_text("\n".join([json.dumps(row), *lines[1:]]) + "\n")
    redeliver(path.parent)
    ingest(settings.warehouse, landing, "future")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        reasons = con.execute(
            "select reason_code from raw.quarantine where entity = 'content_events' and dt = ?",
            [RESENT_DAY],
        ).fetchall()
    assert ("future_event",) in reasons


def test_delivery_dated_in_the_future_is_flagged(built: Settings, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    shutil.copytree(built.landing_dir, landing)
    settings = copy_deployment(built, tmp_path / "d", landing=landing)
    e = contract.entity("brands")
    src = sorted((landing / e.source / e.name).glob("dt=*"))[-1]
    shutil.copytree(src, src.with_name("dt=2099-01-01"))
    rc, out = doctor(settings, tmp_path)
    assert rc == 1
    assert "dated in the future" in out and "brands dt=2099-01-01" in out


def test_backfill_is_idempotent_and_matches_a_clean_build(built: Settings, tmp_path: Path) -> None:
    settings = copy_deployment(built, tmp_path / "d", landing=built.landing_dir)
    first, last = RESENT_DAY, RESENT_DAY + timedelta(days=1)
    rc, out = run_command(
        settings, ["backfill", "--from", str(first), "--to", str(last)], tmp_path / "backfill.log"
    )
    assert rc == 0, out[-4000:]
    assert "[backfill] reloading" in out
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        reloaded = con.execute(
            "select count(*), min(dt), max(dt) from ops.deliveries where run_id = "
            "(select run_id from ops.runs order by started_at desc limit 1)"
        ).fetchone()
    assert reloaded is not None and reloaded[0] > 0 and (reloaded[1], reloaded[2]) == (first, last)
    got, want = warehouse_state(settings.warehouse), warehouse_state(built.warehouse)
    assert got["deliveries"] == want["deliveries"]
    assert not diff(got["tables"], want["tables"]), diff(got["tables"], want["tables"])
    served, clean = serving_state(settings.serving), serving_state(built.serving)
    assert served["run_id"] != clean["run_id"]  # a new snapshot was published
    assert not diff(served["tables"], clean["tables"]), diff(served["tables"], clean["tables"])
    rc, out = doctor(settings, tmp_path)
    assert rc == 0, out


def test_backfill_refuses_bad_ranges(built: Settings, tmp_path: Path) -> None:
    settings = copy_deployment(built, tmp_path / "d", landing=built.landing_dir)
    before = warehouse_state(settings.warehouse)
    rc, out = run_command(
        settings, ["backfill", "--from", "2015-10-05", "--to", "2015-10-01"], tmp_path / "a"
    )
    assert rc == 2 and "is after" in out
    rc, out = run_command(
        settings, ["backfill", "--from", "2001-01-01", "--to", "2001-01-31"], tmp_path / "b"
    )
    assert rc == 2 and "nothing to reload" in out
    assert warehouse_state(settings.warehouse) == before


def test_two_writers_one_waits_or_refuses(built: Settings, tmp_path: Path) -> None:
    """A backfill started while another process holds the writer lock refuses with a clear
    message (no --wait); nothing is changed."""
    settings = copy_deployment(built, tmp_path / "d", landing=built.landing_dir)
    before = warehouse_state(settings.warehouse)
    with wh.writer_lock(settings.warehouse):
        cmd = Command(
            settings,
            ["backfill", "--from", str(RESENT_DAY), "--to", str(RESENT_DAY)],
            tmp_path / "busy.log",
        )
        rc = cmd.finish()
    assert rc == 3, cmd.output
    assert "another Shopsight run is writing" in cmd.output and "held by pid" in cmd.output
    assert warehouse_state(settings.warehouse) == before
