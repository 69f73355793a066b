"""Opening the warehouse, and the one-writer-at-a-time lock around it.

DuckDB lets one process hold a database file read-write and then refuses every other process,
readers included. So every writer in Shopsight (ingestion, dbt, publish) runs inside one process
that holds `<warehouse>.lock` (an advisory `fcntl.flock`) for the whole run, and opens short
connections that it closes before the next writer (dbt, a subprocess) needs the file.
"""

from __future__ import annotations

import fcntl
import os
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

# Sessions run in UTC so that nothing depends on the machine's zone (docs/architecture.md, Time).
SESSION_SETUP = "SET TimeZone = 'UTC'"

# DuckDB's own default is 80% of RAM per process; the pipeline, dbt and the dashboard each open
# the warehouse, so every connection gets a bounded buffer pool and spills to disk beyond it
# (`<database>.tmp` beside the file). dbt's profile reads the same variable.
MEMORY_LIMIT_ENV = "SHOPSIGHT_DUCKDB_MEMORY_LIMIT"
DEFAULT_MEMORY_LIMIT = "4GB"
_SIZE = re.compile(r"\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)", re.IGNORECASE)


def memory_limit() -> str:
    """The DuckDB `memory_limit` for Shopsight's connections (`SHOPSIGHT_DUCKDB_MEMORY_LIMIT`)."""
    value = os.environ.get(MEMORY_LIMIT_ENV, "").strip() or DEFAULT_MEMORY_LIMIT
    if not _SIZE.fullmatch(value):
        raise ValueError(
            f"{MEMORY_LIMIT_ENV}={value!r} is not a size DuckDB understands; write e.g. 4GB or "
            "512MB"
        )
    return value


def connect(path: Path | str, *, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection to `path` with Shopsight's session settings.

    Callers close it as soon as they are done (`with connect(...) as con:`), so that the next
    writer (possibly another process, like dbt) can open the file.
    """
    path = Path(path)
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    limit = memory_limit()  # validated before the file is opened
    con = duckdb.connect(str(path), read_only=read_only)
    con.execute(SESSION_SETUP)
    con.execute(f"SET memory_limit = '{limit}'")
    return con


def lock_path(warehouse: Path | str) -> Path:
    """The lock file beside the warehouse: `<warehouse>.lock`."""
    warehouse = Path(warehouse)
    return warehouse.with_name(warehouse.name + ".lock")


class WarehouseBusyError(RuntimeError):
    """Another process holds the warehouse lock and did not release it in time."""


# flock locks belong to an open file, so a second `open()+flock()` in the same process would
# wait for itself. The lock is therefore re-entrant per process: nested holders share one fd.
_held: dict[Path, tuple[int, int]] = {}  # lock path -> (fd, depth)
_held_guard = threading.Lock()


def _holder_text(path: Path) -> str:
    try:
        text = path.read_text().strip()
    except OSError:
        return ""
    return f" (held by {text})" if text else ""


@contextmanager
def writer_lock(warehouse: Path | str, *, wait_seconds: float = 0.0) -> Iterator[Path]:
    """Hold the warehouse's single-writer lock; wait up to `wait_seconds` for it.

    Raises `WarehouseBusyError` with a message naming the holder (pid and start time, written
    into the lock file by whoever holds it) if the lock is still taken after the wait.
    """
    path = lock_path(warehouse).resolve()
    with _held_guard:
        if path in _held:
            fd, depth = _held[path]
            _held[path] = (fd, depth + 1)
            nested = True
        else:
            nested = False
    if nested:
        try:
            yield path
        finally:
            with _held_guard:
                fd, depth = _held[path]
                _held[path] = (fd, depth - 1)
        return

    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + max(wait_seconds, 0.0)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise WarehouseBusyError(
                        f"another Shopsight run is writing {Path(warehouse)}"
                        f"{_holder_text(path)}; waited {wait_seconds:g} s for {path}"
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n".encode())
        with _held_guard:
            _held[path] = (fd, 1)
        try:
            yield path
        finally:
            with _held_guard:
                del _held[path]
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
