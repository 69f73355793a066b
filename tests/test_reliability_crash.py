"""Crash-safe runs: `shopsight run` killed with SIGKILL during ingestion, during the dbt build and
during publish, then a run that completes; the result must equal a clean build.

One chain of real processes on one warehouse (cheaper than three separate chains, and closer to
what happens in production: a crash followed by another crash):

1. killed while ingesting (the Dagster event log shows a raw step running and DuckDB's WAL is
   being written);
2. killed while dbt builds (the dbt step started and dbt writes the warehouse); `kill -9 <pid>`
   reaches only the run, and its dbt child must die with it;
3. killed while publishing (the snapshot's temporary file has appeared);
4. a run that completes.

After every kill the warehouse opens, its bookkeeping agrees with its raw rows (no delivery
half-loaded or loaded twice, `shopsight doctor`'s checks), and the serving path never shows
anything but a complete snapshot of a run that succeeded (a watcher thread opens it every time
it changes). At the end, raw tables, marts, bookkeeping and the serving file's marts match a
clean build of the same landing zone, table by table.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from orchestration import dbt_launcher
from orchestration.runner import _connect_when_free
from shopsight.doctor import check_serving, check_warehouse
from shopsight.settings import REPO_ROOT
from tests.conftest import make_settings
from tests.reliability_support import (
    Command,
    alive,
    children_of,
    command_line,
    diff,
    reference,
    runs_table,
    serving_state,
    started_steps,
    wait_gone,
    warehouse_state,
)

pytestmark = [pytest.mark.timeout(1800)]

# How long an orphaned dbt may outlive the killed run (the kill is immediate; this is slack for a
# loaded machine).
DBT_DEATH_S = 10.0


class ServingWatcher(threading.Thread):
    """Opens the serving file every time its inode or mtime changes and records what it saw."""

    def __init__(self, serving: Path) -> None:
        super().__init__(daemon=True)
        self.serving = serving
        self.seen: list[tuple[str, str | None]] = []  # (version, run_id or error)
        self.stop = threading.Event()

    def run(self) -> None:
        last = None
        while not self.stop.is_set():
            try:
                st = self.serving.stat()
                version = f"{st.st_ino}-{st.st_mtime_ns}-{st.st_size}"
            except FileNotFoundError:
                version = None
            if version is not None and version != last:
                try:
                    with duckdb.connect(":memory:") as con:
                        con.execute(f"attach '{self.serving}' as s (read_only)")
                        rows = con.execute("select run_id from s.ops.publish_info").fetchall()
                        marts = con.execute(
                            "select count(*) from information_schema.tables "
                            "where table_catalog = 's' and table_schema = 'marts'"
                        ).fetchone()
                    ok = len(rows) == 1 and marts is not None and marts[0] > 0
                    self.seen.append((version, rows[0][0] if ok else f"incomplete: {rows}"))
                except duckdb.Error as exc:
                    self.seen.append((version, f"error: {exc}"))
                last = version
            time.sleep(0.01)


def _assert_consistent(settings: object, what: str) -> None:
    """The warehouse opens and every delivery's rows agree with its bookkeeping."""
    state = check_warehouse(
        settings.warehouse,  # type: ignore[attr-defined]
        settings.landing_dir,  # type: ignore[attr-defined]
        settings.serving,  # type: ignore[attr-defined]
    )
    problems = [f.message for f in state.findings if f.level == "fail"]
    assert not problems, f"after {what}: {problems}"
    assert state.inspected, f"after {what}: {[f.render() for f in state.findings]}"


def test_killed_runs_recover_to_a_clean_build(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path
) -> None:
    refs = reference(tmp_path_factory)
    settings = make_settings(tmp_path / "deploy", landing=tmp_path / "landing")
    shutil.copytree(refs.original.landing_dir, settings.landing_dir)
    settings.warehouse.parent.mkdir(parents=True, exist_ok=True)
    watcher = ServingWatcher(settings.serving)
    watcher.start()
    logs = tmp_path / "logs"
    logs.mkdir()

    # 1. Killed while ingesting: a raw step has started and DuckDB's write-ahead log is growing.
    wal = settings.warehouse.with_name(settings.warehouse.name + ".wal")
    run1 = Command(settings, ["run"], logs / "1-ingest.log")

    def ingesting() -> bool:
        # The loading step (not the expectation checks that follow it, `raw__<entity>_...`).
        loaders = [st for st in started_steps(settings) if re.match(r"raw_[a-z]", st)]
        return bool(loaders) and wal.exists() and wal.stat().st_size > 0

    run1.wait_until("ingesting", ingesting)
    steps_before_kill = started_steps(settings)
    run1.kill()
    _assert_consistent(settings, "a kill during ingestion")
    with duckdb.connect(str(settings.warehouse), read_only=True) as con:
        loaded = con.execute("select count(*) from ops.deliveries").fetchone()[0]  # type: ignore[index]
    all_deliveries = len(list(settings.landing_dir.glob("*/*/dt=*/_SUCCESS")))
    assert loaded < all_deliveries, (loaded, all_deliveries, steps_before_kill)
    assert runs_table(settings.warehouse)[-1][1] == "running"  # it never got to say otherwise

    # 2. Killed while dbt builds: a mart was created. dbt, a child process, is orphaned.
    run2 = Command(settings, ["run"], logs / "2-dbt.log")
    # dbt no longer prints its per-model lines to the run's output, so the phase comes from the
    # Dagster event log (the dbt step started) and from dbt writing the warehouse (its WAL).
    run2.wait_until(
        "building with dbt",
        lambda: "dbt_build" in started_steps(settings) and wal.exists() and wal.stat().st_size > 0,
    )
    dbt = [pid for pid in children_of(run2.proc.pid) if "dbt" in command_line(pid)]
    assert dbt, "no dbt child process found while dbt builds"
    run2.kill()
    # dbt dies with the run (PR_SET_PDEATHSIG, orchestration/dbt_launcher.py) instead of writing
    # on without the writer lock: the kernel kills it at once, so a few seconds is generous.
    wait_gone(dbt, timeout=DBT_DEATH_S)
    _assert_consistent(settings, "a kill during the dbt build")
    assert not settings.serving.exists(), "nothing was published yet"

    # 3. Killed while publishing: the snapshot's temporary file exists beside the serving path.
    run3 = Command(settings, ["run"], logs / "3-publish.log")
    run3.wait_until(
        "publishing",
        lambda: any(settings.serving.parent.glob(f".{settings.serving.name}.*.tmp")),
    )
    run3.kill()
    _assert_consistent(settings, "a kill during publish")
    assert not settings.serving.exists(), "a half-written snapshot reached the serving path"

    # 4. The next run completes and publishes.
    run4 = Command(settings, ["run"], logs / "4-complete.log")
    assert run4.finish() == 0, run4.output[-4000:]
    watcher.stop.set()
    watcher.join(timeout=10)

    # Every snapshot the serving path ever showed was complete, and published by a run that
    # the warehouse records as succeeded.
    runs = {run_id: status for run_id, status, _ in runs_table(settings.warehouse)}
    assert watcher.seen, "the serving file never appeared"
    for version, seen in watcher.seen:
        assert seen in runs and runs[seen] == "succeeded", (version, seen, runs)

    # The recovered deployment equals a clean build of the same landing zone.
    got, want = warehouse_state(settings.warehouse), warehouse_state(refs.original.warehouse)
    assert got["deliveries"] == want["deliveries"]
    assert not diff(got["tables"], want["tables"]), diff(got["tables"], want["tables"])
    served, clean = serving_state(settings.serving), serving_state(refs.original.serving)
    assert served["data"] == clean["data"]
    assert served["quarantine_summary"] == clean["quarantine_summary"]
    assert not diff(served["tables"], clean["tables"]), diff(served["tables"], clean["tables"])
    state = check_warehouse(settings.warehouse, settings.landing_dir, settings.serving)
    serving_findings = check_serving(settings.serving, settings.warehouse, state)
    assert not [f for f in serving_findings if f.level == "fail"], serving_findings


# --- the pieces behind "dbt dies with its run", on their own (seconds, not a pipeline run) ------

_PARENT = """
import subprocess, sys, time
from pathlib import Path
from orchestration import dbt_launcher
launcher = dbt_launcher.ensure_launcher("/bin/sleep", Path(sys.argv[1]))
dbt_launcher.mark_parent()
child = subprocess.Popen([launcher, "300"])
print(child.pid, flush=True)
time.sleep(300)
"""


def test_launched_child_dies_when_its_parent_is_killed(tmp_path: Path) -> None:
    """`kill -9` of the process that started a launched program kills the program too (the
    launcher is the same one dbt runs through; `sleep` stands in for dbt)."""
    parent = subprocess.Popen(
        [sys.executable, "-c", _PARENT, str(tmp_path)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    child = int(parent.stdout.readline())
    deadline = time.monotonic() + 30
    while "sleep" not in command_line(child) and time.monotonic() < deadline:
        time.sleep(0.05)  # the launcher has not exec'd `sleep` yet
    try:
        assert alive(child) and "sleep" in command_line(child), command_line(child)
        parent.kill()
        parent.wait(timeout=30)
        wait_gone([child], timeout=DBT_DEATH_S)
    finally:
        if alive(child):  # the launcher failed: leave no orphan behind the test
            os.kill(child, signal.SIGKILL)


def test_launcher_refuses_to_start_after_its_parent_died(tmp_path: Path) -> None:
    """A launcher whose parent is not the process that asked for it (that one died before the
    death signal was set) exits at once instead of starting an orphan."""
    launcher = dbt_launcher.ensure_launcher("/bin/sleep", tmp_path)
    env = {**os.environ, dbt_launcher.PARENT_ENV: "1"}  # not our pid: "the parent is gone"
    started = time.monotonic()
    done = subprocess.run([launcher, "300"], env=env, timeout=60, check=False)
    assert done.returncode == dbt_launcher.ORPHANED_EXIT
    assert time.monotonic() - started < 30


_HOLDER = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[1])
print("open", flush=True)
time.sleep(float(sys.argv[2]))
"""


def test_next_run_waits_for_a_writer_that_is_still_dying(tmp_path: Path) -> None:
    """While another process (an orphaned dbt in its last moment) holds DuckDB's file lock, the
    run's first connection waits for it instead of failing, and gives up with DuckDB's error
    when it does not go away."""
    warehouse = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(warehouse)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(warehouse), "3"], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "open"
    opened = time.monotonic()
    with pytest.raises(duckdb.IOException):
        _connect_when_free(warehouse, seconds=0.5)  # held: a short wait gives up
    with _connect_when_free(warehouse, seconds=60) as con:
        assert con.execute("select 1").fetchone() == (1,)
    # It connected only once the holder let go (it holds the file for 3 s after "open").
    assert time.monotonic() - opened >= 2.5
    holder.wait(timeout=30)
