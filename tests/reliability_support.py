"""Helpers of the reliability tests: small deployments, `shopsight` commands as real processes
that can be killed at a chosen phase, and checksums that compare a warehouse or a serving file
with a clean build.

The reliability world is small (ten simulated days) so that a full pipeline run costs mostly
dbt's fixed overhead. Its clean build is shared by the tests (memoised per pytest session,
because a session-scoped fixture imported into two modules would run twice).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb

from shopsight import contract
from shopsight.ingest.sqltext import ident
from shopsight.settings import REPO_ROOT, Settings
from tests.conftest import make_settings

REL_START = date(2015, 10, 1)
REL_DAYS = 10
REL_SCALE = 0.01
REL_SEED = 11
# The re-sent day: more than the contract's 7 late-data days before the last delivery date.
RESENT_DAY = REL_START + timedelta(days=1)
RESENT_ENTITY = "content_events"
RUN_TIMEOUT_S = 900.0
LONG = os.environ.get("SHOPSIGHT_LONG_TESTS") == "1"

# Columns that say when something was built or loaded, not what: left out of checksums.
VOLATILE_COLUMNS = {"_loaded_at", "loaded_at", "built_at", "checked_at", "published_at"}


# --- processes ---------------------------------------------------------------------------------


def env_for(settings: Settings, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "SHOPSIGHT_LANDING_DIR": str(settings.landing_dir),
        "SHOPSIGHT_WAREHOUSE": str(settings.warehouse),
        "SHOPSIGHT_SERVING": str(settings.serving),
        "SHOPSIGHT_VALIDATIONS_DIR": str(settings.validations_dir),
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    return env


class Command:
    """`python -m shopsight.cli <args>` as a child process whose output is read line by line.

    Killing it sends SIGKILL to that one process, as `kill -9 <pid>` or the OOM killer would:
    whatever it started itself (dbt) is not killed with it.
    """

    def __init__(self, settings: Settings, args: list[str], log: Path, **env: str) -> None:
        self.args = args
        self.log = log
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "shopsight.cli", *args],
            cwd=REPO_ROOT,
            env=env_for(settings, **env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        with self.log.open("a") as out:
            for line in self.proc.stdout:
                out.write(line)
                out.flush()
                with self._cond:
                    self.lines.append(line.rstrip("\n"))
                    self._cond.notify_all()
        with self._cond:
            self._cond.notify_all()

    @property
    def output(self) -> str:
        with self._cond:
            return "\n".join(self.lines)

    def wait_for_line(self, pattern: str, timeout: float = RUN_TIMEOUT_S) -> str:
        """The first output line matching `pattern`; fails if the process ends without one."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._cond:
            while True:
                for line in self.lines[seen:]:
                    if regex.search(line):
                        return line
                seen = len(self.lines)
                if self.proc.poll() is not None and not self._reader.is_alive():
                    raise AssertionError(
                        f"`shopsight {' '.join(self.args)}` ended (rc {self.proc.returncode}) "
                        f"without printing /{pattern}/:\n{self.output[-4000:]}"
                    )
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"no /{pattern}/ within {timeout} s:\n{self.output[-4000:]}"
                    )
                self._cond.wait(min(left, 0.5))

    def wait_until(
        self, what: str, predicate: Callable[[], bool], timeout: float = RUN_TIMEOUT_S
    ) -> None:
        """Poll `predicate` (every 5 ms) while the process runs."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"`shopsight {' '.join(self.args)}` ended before {what}:\n{self.output[-4000:]}"
                )
            if time.monotonic() > deadline:
                raise AssertionError(f"not {what} within {timeout} s:\n{self.output[-4000:]}")
            time.sleep(0.005)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._reader.join(timeout=30)

    def finish(self, timeout: float = RUN_TIMEOUT_S) -> int:
        rc = self.proc.wait(timeout=timeout)
        self._reader.join(timeout=30)
        return rc


def run_command(settings: Settings, args: list[str], log: Path, **env: str) -> tuple[int, str]:
    cmd = Command(settings, args, log, **env)
    rc = cmd.finish()
    return rc, cmd.output


def children_of(pid: int) -> list[int]:
    """Pids of the direct children of `pid` (from /proc), e.g. the dbt process of a run."""
    found: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid ...: comm may hold spaces, so split after the last ')'.
        fields = stat[stat.rindex(")") + 2 :].split()
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether `pid` runs. A zombie does not: it has closed its files and released its locks,
    and only waits for its new parent (init, after an orphaning) to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def wait_gone(pids: list[int], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive_now = [p for p in pids if alive(p)]
        if not alive_now:
            return
        time.sleep(0.1)
    raise AssertionError(f"processes {pids} still alive after {timeout} s")


# --- the Dagster event log: which step a run is in ---------------------------------------------


def started_steps(settings: Settings) -> list[str]:
    """Step keys started by the newest Dagster run beside `settings.warehouse`, in order.

    Dagster keeps one SQLite event log per run (`.dagster/history/runs/<run_id>.db`); reading it
    read-only while the run writes is what `dagster dev` does too.
    """
    runs = settings.warehouse.parent / ".dagster" / "history" / "runs"
    logs = [p for p in runs.glob("*.db") if p.name != "index.db"] if runs.is_dir() else []
    if not logs:
        return []
    newest = max(logs, key=lambda p: p.stat().st_mtime_ns)
    try:
        with sqlite3.connect(f"file:{newest}?mode=ro", uri=True, timeout=1) as db:
            rows = db.execute(
                "select step_key from event_logs where dagster_event_type = 'STEP_START' "
                "order by id"
            ).fetchall()
    except sqlite3.Error:
        return []
    return [r[0] for r in rows]


# --- worlds and deployments --------------------------------------------------------------------


def simulate_world(landing: Path) -> None:
    from shopsight.simulator import simulate

    simulate(
        landing, REL_START, REL_DAYS, REL_SCALE, REL_SEED, truth_path=landing.parent / "t.json"
    )


def resend_with_fewer_rows(landing: Path, keep: float = 0.5, *, touch: bool = True) -> int:
    """Rewrite the re-sent day's delivery with only the first `keep` of its rows (a source system
    re-sending a shorter file). Returns the rows kept. `touch` writes a new `_SUCCESS`."""
    e = contract.entity(RESENT_ENTITY)
    folder = landing / e.source / e.name / f"dt={RESENT_DAY.isoformat()}"
    kept = 0
    for path in sorted(folder.glob("*.jsonl")):
        lines = path.read_text().splitlines(keepends=True)
        n = max(1, int(len(lines) * keep))
        path.write_text("".join(lines[:n]))
        kept += n
    if touch:
        redeliver(folder)
    return kept


def redeliver(folder: Path) -> None:
    """Write `_SUCCESS` again with a later mtime: the source system re-sent the delivery."""
    marker = folder / contract.SUCCESS_MARKER
    before = marker.stat().st_mtime_ns if marker.exists() else 0
    marker.write_text("")
    stamp = max(time.time_ns(), before + 1_000_000)
    os.utime(marker, ns=(stamp, stamp))


def redeliver_all(landing: Path) -> int:
    markers = sorted(landing.glob(f"*/*/dt=*/{contract.SUCCESS_MARKER}"))
    for marker in markers:
        redeliver(marker.parent)
    return len(markers)


def copy_deployment(src: Settings, root: Path, landing: Path | None = None) -> Settings:
    """A copy of a built deployment (warehouse, serving file, and landing zone unless given).
    File times are kept, so the copy sees the same deliveries as already loaded."""
    root.mkdir(parents=True, exist_ok=True)
    if landing is None:
        landing = root / "landing"
        shutil.copytree(src.landing_dir, landing)
    dst = make_settings(root, landing=landing)
    shutil.copy2(src.warehouse, dst.warehouse)
    shutil.copy2(src.serving, dst.serving)
    return dst


@dataclass
class References:
    original: Settings
    build_seconds: float = 0.0


_REFERENCES: dict[str, References] = {}


def reference(tmp_path_factory: Any) -> References:
    """The clean build of the reliability world, built once per session."""
    key = str(tmp_path_factory.getbasetemp())
    if key in _REFERENCES:
        return _REFERENCES[key]
    reuse = os.environ.get("SHOPSIGHT_REL_REFERENCE")
    if reuse:  # a developer's shortcut: a reference built by an earlier session, never in CI
        built = make_settings(Path(reuse))
        assert built.serving.exists(), f"{reuse} holds no built reference"
        _REFERENCES[key] = References(built)
        return _REFERENCES[key]
    root = tmp_path_factory.mktemp("rel_reference")
    original = make_settings(root / "original")
    simulate_world(original.landing_dir)
    started = time.perf_counter()
    cmd = Command(original, ["run"], root / "original.log")
    rc = cmd.finish()
    assert rc == 0, f"the reference build failed:\n{cmd.output[-4000:]}"
    _REFERENCES[key] = References(original, time.perf_counter() - started)
    return _REFERENCES[key]


# --- checksums ---------------------------------------------------------------------------------


def _select_list(con: duckdb.DuckDBPyConnection, catalog: str, schema: str, table: str) -> str:
    """Every column but the volatile ones; doubles rounded, since summing them in another order
    (an incremental build vs a full one) may change the last bits."""
    cols = con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = ? and table_name = ? order by ordinal_position",
        [catalog, schema, table],
    ).fetchall()
    parts = []
    for name, dtype in cols:
        if name in VOLATILE_COLUMNS:
            continue
        col = ident(name)
        parts.append(f"round({col}, 6) as {col}" if dtype in ("DOUBLE", "FLOAT") else col)
    return ", ".join(parts)


def table_checksums(
    con: duckdb.DuckDBPyConnection, catalog: str, schemas: tuple[str, ...]
) -> dict[str, tuple[int, int]]:
    """Row count and an order-independent hash of every table of `schemas`."""
    out: dict[str, tuple[int, int]] = {}
    tables = con.execute(
        "select table_schema, table_name from information_schema.tables "
        f"where table_catalog = ? and table_schema in ({', '.join('?' for _ in schemas)}) "
        "and table_type = 'BASE TABLE' order by 1, 2",
        [catalog, *schemas],
    ).fetchall()
    for schema, table in tables:
        select = _select_list(con, catalog, schema, table)
        row = con.execute(
            f"select count(*), coalesce(sum(hash(s)), 0) from (select {select} from "
            f"{ident(catalog)}.{ident(schema)}.{ident(table)}) s"
        ).fetchone()
        assert row is not None
        out[f"{schema}.{table}"] = (int(row[0]), int(row[1]))
    return out


def deliveries(con: duckdb.DuckDBPyConnection, catalog: str) -> list[tuple[Any, ...]]:
    """`ops.deliveries` without what depends on when and by which run it was loaded."""
    return con.execute(
        "select source, entity, dt, files, landed_rows, loaded_rows, quarantined_rows, "
        f"duplicate_rows, schema_drift, status, error from {ident(catalog)}.ops.deliveries "
        "order by entity, dt"
    ).fetchall()


def warehouse_state(warehouse: Path) -> dict[str, Any]:
    """What a clean build and a recovered warehouse must agree on: raw, marts, bookkeeping."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        catalog = con.execute("select current_database()").fetchone()[0]  # type: ignore[index]
        return {
            "tables": table_checksums(con, catalog, ("raw", "marts")),
            "deliveries": deliveries(con, catalog),
        }


def serving_state(serving: Path) -> dict[str, Any]:
    """The serving file's marts and quarantine summary, and what its publish record says."""
    with duckdb.connect(":memory:") as con:
        con.execute(f"attach '{serving}' as snap (read_only)")
        info = con.execute(
            "select run_id, data_from, data_through from snap.ops.publish_info"
        ).fetchall()
        tables = table_checksums(con, "snap", ("marts",))
        summary = con.execute("select * from snap.ops.quarantine_summary order by all").fetchall()
    assert len(info) == 1, f"{serving}: {len(info)} rows in ops.publish_info"
    return {
        "run_id": info[0][0],
        "data": (info[0][1], info[0][2]),
        "tables": tables,
        "quarantine_summary": summary,
    }


def diff(left: dict[str, Any], right: dict[str, Any]) -> list[str]:
    """Readable differences between two checksum dicts (tables that differ)."""
    names = sorted(set(left) | set(right))
    return [f"{n}: {left.get(n)} != {right.get(n)}" for n in names if left.get(n) != right.get(n)]


def runs_table(warehouse: Path) -> list[tuple[Any, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        return con.execute(
            "select run_id, status, message from ops.runs order by started_at"
        ).fetchall()
