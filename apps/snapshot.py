"""The published serving file, opened read-only and re-opened when a newer one appears.

The publish step replaces `serving.duckdb` atomically (`os.replace`), so the file at the path is
always a complete snapshot; a new inode (or mtime) means a new snapshot. Each script run resolves
the snapshot once and uses it for every query of that run, so one page never mixes two
snapshots, and cached query results are keyed on the snapshot's version.

Why ATTACH into a fresh in-memory database instead of `duckdb.connect(path)`: DuckDB keeps one
database instance per path and process, so connecting to the path again while an older
connection is alive returns the *old* file even after it was replaced (measured). A private
in-memory instance that attaches the file reads whatever the path points at now.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from shopsight import settings as settings_module

ALIAS = "snap"
# Keep the current and the previous snapshot open: a session still rendering with the old one
# must not lose its connection when another session opens the new one.
_KEEP = 2


@dataclass(frozen=True)
class Snapshot:
    """One published serving file as of one version."""

    path: Path
    version: str
    conn: duckdb.DuckDBPyConnection = field(repr=False, compare=False, hash=False)

    def query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run one read query with bound parameters on its own cursor (thread-safe)."""
        cur = self.conn.cursor()
        try:
            cur.execute(f"use {ALIAS}")
            return cur.execute(sql, params or []).df()
        finally:
            cur.close()

    def has_table(self, schema: str, table: str) -> bool:
        found = self.query(
            "select count(*) as n from information_schema.tables "
            "where table_catalog = ? and table_schema = ? and table_name = ?",
            [ALIAS, schema, table],
        )
        return bool(found["n"].iloc[0])


def serving_path() -> Path:
    """The serving file of the current settings (`SHOPSIGHT_SERVING`)."""
    return settings_module.load().serving


def file_version(path: Path) -> str | None:
    """A string that changes whenever the file at `path` is replaced or rewritten."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return f"{st.st_ino}-{st.st_mtime_ns}-{st.st_size}"


def _attach(path: Path) -> duckdb.DuckDBPyConnection:
    conn = duckdb.connect(":memory:")
    conn.execute("set TimeZone = 'UTC'")
    # The path is ours (settings), not user input; DuckDB cannot bind ATTACH's path.
    escaped = str(path).replace("'", "''")
    conn.execute(f"attach '{escaped}' as {ALIAS} (read_only)")
    return conn


class _SnapshotCache:
    """Process-wide: one open connection per (path, version), the newest `_KEEP` kept."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[tuple[str, str], Snapshot] = {}

    def get(self, path: Path) -> Snapshot | None:
        # A replace between stat and attach would label new data with the old version; stat
        # again after attaching and retry until both agree.
        for _ in range(5):
            version = file_version(path)
            if version is None:
                return None
            key = (str(path), version)
            with self._lock:
                snap = self._open.get(key)
            if snap is not None:
                return snap
            try:
                conn = _attach(path)
            except duckdb.IOException:
                continue  # replaced while opening: look again
            if file_version(path) != version:
                conn.close()
                continue
            snap = Snapshot(path=path, version=version, conn=conn)
            with self._lock:
                self._open[key] = snap
                for old in list(self._open)[:-_KEEP]:
                    # Not closed: a session may still be querying it; dropped connections are
                    # closed by DuckDB when the last reference goes.
                    del self._open[old]
            return snap
        raise RuntimeError(f"the serving file {path} keeps changing; try again")


_CACHE = _SnapshotCache()


def current(path: Path | None = None) -> Snapshot | None:
    """The snapshot at the serving path now, or None while nothing has been published."""
    return _CACHE.get(path or serving_path())
