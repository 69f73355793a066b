"""Operator mistakes and recovery: each gives a clear message and a safe outcome.

- warehouse deleted, or replaced by an older copy; landing zone missing; a delivery re-sent with
  fewer rows; a delivery dated (or holding events) far in the future;
- a run that crashes is recorded as failed; a publish removes what an interrupted one left;
  dbt's incremental window covers the deliveries of runs that never got to dbt;
- `shopsight doctor` says what is wrong in plain words and exits non-zero when something is;
- `shopsight backfill --from D --to D` reloads a range and ends exactly where a clean build is.

Most cases use ingestion directly (no dbt) on copies of the shared clean build, so they cost
seconds; the backfill runs the whole pipeline once.
"""

from __future__ import annotations

import json
import shutil
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.assets.dbt import first_unbuilt_day
from orchestration.assets.publish import mark_run, publish
from orchestration.runner import dagster_home, run_pipeline
from shopsight import contract
from shopsight import warehouse as wh
from shopsight.ingest import ingest
from shopsight.ingest.schema import ensure_schema
from shopsight.settings import Settings
from tests.conftest import make_settings
from tests.landing_factory import write_world
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


def test_run_refuses_without_landing_zone(built: Settings, tmp_path: Path) -> None:
    settings = copy_deployment(built, tmp_path / "d", landing=tmp_path / "no-such-landing")
    before, served = warehouse_state(settings.warehouse), serving_state(settings.serving)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        runs = con.execute("select * from ops.runs order by all").fetchall()
    rc, out = run_command(settings, ["run"], tmp_path / "run.log")
    assert rc == 2 and "does not exist" in out and "nothing was changed" in out, out
    assert warehouse_state(settings.warehouse) == before
    assert serving_state(settings.serving) == served  # not re-published
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        assert con.execute("select * from ops.runs order by all").fetchall() == runs


def test_a_run_that_crashes_is_recorded_as_failed(tmp_path: Path) -> None:
    """A real fault outside any Dagster step: the Dagster instance folder beside the warehouse
    is a file, so the run raises after its `ops.runs` row was written. The row must say failed,
    with the error, not `running` forever (which the doctor would report as a killed run)."""
    settings = make_settings(tmp_path)
    write_world(settings.landing_dir, date(2015, 3, 1))
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    dagster_home(settings).write_text("not a folder")
    with pytest.raises(FileExistsError):
        run_pipeline(settings, progress=lambda line: None)
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        runs = con.execute("select status, finished_at, message from ops.runs").fetchall()
    assert len(runs) == 1, runs
    status, finished_at, message = runs[0]
    assert status == "failed" and finished_at is not None, runs
    assert "FileExistsError" in message and ".dagster" in message, message
    assert not settings.serving.exists()
    with wh.writer_lock(settings.warehouse):  # the lock was let go: the next run can start
        pass


def test_publish_removes_leftovers_of_an_interrupted_publish(tmp_path: Path) -> None:
    """An interrupted publish leaves `.serving.duckdb.<run>.tmp` (and its `.wal`); the next
    publish removes them, and nothing else beside the serving file."""
    serving = tmp_path / "serve" / "serving.duckdb"
    serving.parent.mkdir()
    half_written = serving.with_name(f".{serving.name}.killed-run.tmp")
    with duckdb.connect(str(half_written)) as snap:
        snap.execute("create table t as select 1 as x")
    wal = serving.with_name(f".{serving.name}.killed-run.tmp.wal")
    wal.write_bytes(b"\x00" * 64)
    others = [
        serving.with_name("notes.tmp"),
        serving.with_name(f".{serving.name}.keep"),
        serving.with_name(".other.duckdb.run.tmp"),
    ]
    for path in others:
        path.write_text("not a snapshot")
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        ensure_schema(con)
        con.execute("create schema marts")
        con.execute("create table marts.kpi_example as select 42 as v")
        publish(con, serving, "next-run")
    assert not half_written.exists() and not wal.exists()
    assert all(path.exists() for path in others)
    assert sorted(p.name for p in serving.parent.iterdir()) == sorted(
        [serving.name, *(p.name for p in others)]
    )
    with duckdb.connect(str(serving), read_only=True) as con:
        assert con.execute("select v from marts.kpi_example").fetchall() == [(42,)]
        assert con.execute("select run_id from ops.publish_info").fetchall() == [("next-run",)]


def test_dbt_window_covers_deliveries_of_runs_that_never_built(tmp_path: Path) -> None:
    """Run A loads and succeeds; run B loads an old day, then dies before dbt; run C loads a
    day far later. C's dbt window must start at B's day, not at C's own first day (whose
    7-day look-back would never reach B's day again)."""
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse.duckdb"
    a_day, b_day, c_day = date(2015, 3, 1), date(2015, 3, 2), date(2015, 3, 20)
    for day in (a_day, b_day, c_day):
        write_world(landing, day)
    with wh.connect(warehouse) as con:
        ensure_schema(con)

    def start(run_id: str) -> None:
        with wh.connect(warehouse) as con:
            con.execute("insert into ops.runs values (?, now(), null, 'running', null)", [run_id])

    start("A")
    ingest(warehouse, landing, "A", dt_through=a_day)
    with wh.connect(warehouse) as con:
        assert first_unbuilt_day(con, "A") == a_day
        mark_run(con, "A", "succeeded", "published")
        assert first_unbuilt_day(con, "next") is None  # everything was built
    start("B")
    ingest(warehouse, landing, "B", dt_through=b_day)  # ... and B is killed: stays `running`
    start("C")
    ingest(warehouse, landing, "C")
    with wh.connect(warehouse) as con:
        loaded_by_c = con.execute(
            "select min(dt) from ops.deliveries where run_id = 'C'"
        ).fetchone()
        assert loaded_by_c == (c_day,)
        assert first_unbuilt_day(con, "C") == b_day
        # Stopped by a gate instead of killed: the same.
        mark_run(con, "B", "failed", "not publishing: 1 gate(s) failed")
        assert first_unbuilt_day(con, "C") == b_day
        # Once C succeeds, a run after it starts at its own deliveries again.
        mark_run(con, "C", "succeeded", "published")
        assert first_unbuilt_day(con, "D") is None


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
