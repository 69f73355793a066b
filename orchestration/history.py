"""The run history's event log: Dagster's SQLite storage, with one database engine per file.

Dagster's own `SqliteEventLogStorage` builds a new SQLAlchemy engine, opens a connection and
disposes of both for every event it stores. A Shopsight run stores ~900 events (each dbt test
is an asset check, planned and then evaluated), so on this project's two-core reference
machine that bookkeeping alone was ~12 s of every run. This subclass keeps one engine (and its
small connection pool) per database file for the life of the process; what is stored, and
where, is Dagster's own schema and layout, so `dagster dev` reads the history as before.

The instance beside the warehouse (`<data dir>/.dagster`) selects it in its `dagster.yaml`,
written by `ensure_instance_config`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.sql import create_engine
from dagster._serdes import ConfigurableClassData

# Dagster's own wait for a locked SQLite file (another process writing the same history).
BUSY_TIMEOUT_SECONDS = 30
# Files kept open at once: a run writes two (its own and the index); a long-lived `dagster dev`
# reads many runs' files and must not keep each one open.
MAX_OPEN_SHARDS = 4

HEADER = "# Written by Shopsight (orchestration/history.py)."
INSTANCE_CONFIG = (
    HEADER
    + """
# The run history beside the warehouse: Dagster's SQLite storage, with the event log keeping its
# database engines open instead of building one per event. For Dagster's defaults, replace this
# file with your own (Shopsight rewrites only a dagster.yaml that starts with its first line).
event_log_storage:
  module: orchestration.history
  class: PooledSqliteEventLogStorage
  config:
    base_dir: {base_dir}
"""
)


class PooledSqliteEventLogStorage(SqliteEventLogStorage):
    """`SqliteEventLogStorage` that reuses one engine per shard (run file or index)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        # Before Dagster's __init__, which already connects (to migrate the index).
        self._engines: dict[str, Any] = {}  # by shard, least recently used first
        super().__init__(base_dir, inst_data)

    @classmethod
    def from_config_value(  # type: ignore[override]
        cls, inst_data: ConfigurableClassData | None, config_value: dict[str, Any]
    ) -> PooledSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Any:
        # Called only under Dagster's `_db_lock` (from `_connect`), which guards `_engines` too.
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                # Connections are used under `_db_lock`, one thread at a time, but not always
                # by the thread that opened them (`dagster dev` serves from several).
                connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
        self._engines[shard] = engine  # now the most recently used
        while len(self._engines) > MAX_OPEN_SHARDS:
            oldest = next(iter(self._engines))
            self._engines.pop(oldest).dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Any]:
        # The same steps as Dagster's `_connect` (lock, create the schema once per file, one
        # transaction per call), minus building and disposing of an engine each time.
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def dispose(self) -> None:
        super().dispose()
        with self._db_lock:
            for engine in self._engines.values():
                engine.dispose()
            self._engines.clear()


def ensure_instance_config(home: Path) -> None:
    """Write the instance's `dagster.yaml`, selecting the pooled event log in Dagster's usual
    place (`<home>/history/runs`). Rewritten when Shopsight wrote it for another folder (the
    data folder moved); a `dagster.yaml` someone else wrote is left as it is."""
    config = home / "dagster.yaml"
    wanted = INSTANCE_CONFIG.format(base_dir=home.resolve() / "history" / "runs")
    if config.exists():
        current = config.read_text()
        if current == wanted or not current.startswith(HEADER):
            return
    home.mkdir(parents=True, exist_ok=True)
    config.write_text(wanted)
