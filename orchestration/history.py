"""The run history's event log: Dagster's SQLite storage, with one database engine per file;
and the throwaway instance a backfill runs on.

Dagster's own `SqliteEventLogStorage` builds a new SQLAlchemy engine, opens a connection and
disposes of both for every event it stores. A Shopsight run stores ~900 events (each dbt test
is an asset check, planned and then evaluated), so on this project's two-core reference
machine that bookkeeping alone was ~12 s of every run. This subclass keeps one engine (and its
small connection pool) per database file for the life of the process, and remembers which
of Dagster's tables exist instead of reflecting the file before every check event; what is
stored, and where, is Dagster's own schema and layout, so `dagster dev` reads the history as
before.

The instance beside the warehouse (`<data dir>/.dagster`) selects it in its `dagster.yaml`,
written by `ensure_instance_config`.

A run over many delivery dates (a backfill) runs on an in-memory instance instead
(`backfill_instance`), thrown away when the run ends: see `BackfillEventLogStorage`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from dagster import DagsterInstance
from dagster._core.instance import InstanceType
from dagster._core.launcher.sync_in_memory_run_launcher import SyncInMemoryRunLauncher
from dagster._core.run_coordinator import DefaultRunCoordinator
from dagster._core.storage.event_log import InMemoryEventLogStorage
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage
from dagster._core.storage.noop_compute_log_manager import NoOpComputeLogManager
from dagster._core.storage.root import TemporaryLocalArtifactStorage
from dagster._core.storage.runs import InMemoryRunStorage
from dagster._core.storage.sql import create_engine
from dagster._serdes import ConfigurableClassData
from sqlalchemy import text
from sqlalchemy.pool import StaticPool

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
        self._tables_present: set[str] = set()  # `has_table`
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

    def has_table(self, table_name: str) -> bool:
        # Dagster asks whether its asset-check table exists before storing each check event,
        # and answers by building an engine and reflecting the index file: ~2.5 ms, ~800 times
        # a run. Tables appear (migrations) but a running instance never drops them, so a "yes"
        # is remembered; a "no" is asked again. Not under `_db_lock`: Dagster also asks from
        # inside `_connect` (wipe), and the lock is not reentrant.
        if table_name in self._tables_present:
            return True
        present = super().has_table(table_name)
        if present:
            self._tables_present.add(table_name)
        return present

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


class BackfillEventLogStorage(InMemoryEventLogStorage):
    """Dagster's in-memory event log, for a run whose instance is thrown away afterwards.

    A run over a range of delivery dates records, for each of the 15 partitioned raw assets,
    one "materialization planned" event per date when the run starts and one materialization
    per date when the asset is loaded: 11,000 events for a year, ~2 ms of Dagster's Python
    each, ~25 s of a one-year load on the reference machine. The run reads none of them back;
    the instance is discarded when it ends. Two changes, both within Dagster's own contract:

    - the planned events of a partition range are one per asset, carrying the range
      (`supports_partition_subset_in_asset_materialization_planned_events`, Dagster's switch
      for this, also set by `DAGSTER_EMIT_PARTITION_SUBSET_IN_PLANNED_EVENTS`). What Dagster
      gives up with it, marking each planned partition failed when the run fails, concerns a
      persistent instance's asset view only: this one is gone after the run, and Shopsight's
      own record (`ops.deliveries`) says which dates failed;
    - every call uses the same database connection (under Dagster's lock), instead of opening
      a new one and setting its pragmas per call.
    """

    def __init__(self) -> None:
        super().__init__()
        # The same named in-memory database Dagster created (its held connection keeps it
        # alive), reached through one connection: calls come one at a time under `_db_lock`,
        # though not always from the thread that created the connection.
        url = self._engine.url
        self._engine.dispose()
        self._engine = create_engine(
            url, poolclass=StaticPool, connect_args={"check_same_thread": False}
        )
        with self._engine.connect() as conn:  # what Dagster's `_connect` sets on every call
            conn.execute(text("PRAGMA foreign_keys=ON;")).close()

    @contextmanager
    def _connect(self) -> Iterator[Any]:
        with self._db_lock, self._engine.connect() as conn, conn.begin():
            yield conn

    @property
    def supports_partition_subset_in_asset_materialization_planned_events(self) -> bool:
        return True


def backfill_instance() -> DagsterInstance:
    """An ephemeral instance, as `DagsterInstance.ephemeral()` builds it, with the event log
    above: for runs whose Dagster history is not kept (see orchestration/runner.py)."""
    return DagsterInstance(
        instance_type=InstanceType.EPHEMERAL,
        local_artifact_storage=TemporaryLocalArtifactStorage(),
        run_storage=InMemoryRunStorage(),
        event_storage=BackfillEventLogStorage(),
        compute_log_manager=NoOpComputeLogManager(),
        run_coordinator=DefaultRunCoordinator(),
        run_launcher=SyncInMemoryRunLauncher(),
    )


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
