"""`serving/snapshot`: copy the marts and the ops tables into a new DuckDB file, then rename it
over the dashboard's file in one atomic step.

The dashboard opens the serving file read-only and never the warehouse, so it sees either the
old snapshot or the new one, never a half-written file.

A snapshot is built from a copy of the previous one when that one came from this warehouse:
the marts that dbt keeps incremental by one key (by day: `fct_sessions`, ...; by order:
`fct_orders`) then only have the days or keys dbt rewrote since replaced (their rows carry a
newer `built_at`), instead of being copied whole;
every other table is rewritten. Copying a file costs far less than rewriting a large table, and
a one-day run's publish then no longer grows with history. Otherwise it starts from an empty
file. Publishing runs only when every gate of
the run passed: Dagster skips it when a blocking check or dbt fails upstream, and it re-checks
`ops.check_results` itself before writing anything.
"""

import os
import re
import shutil
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    Failure,
    MaterializeResult,
    asset,
)

from orchestration.resources import Reporter, ShopsightPaths
from shopsight import contract
from shopsight.ingest.schema import ensure_schema
from shopsight.ingest.sqltext import ident, in_list, lit

SERVING_KEY = AssetKey(["serving", "snapshot"])
OPS_TABLES = ("deliveries", "runs", "check_results")
SNAPSHOT_ENTITIES = tuple(e.name for e in contract.ENTITIES if e.snapshot)
# After `.<serving name>.`: `<run id>.tmp`, or its write-ahead log `<run id>.tmp.wal`.
_TMP_SUFFIX = re.compile(r".\.tmp(\.wal)?$")


def failed_gates(con: duckdb.DuckDBPyConnection, run_id: str) -> list[str]:
    """Error-severity checks of this run that did not pass."""
    ensure_schema(con)
    rows = con.execute(
        "select asset || ':' || check_name from ops.check_results "
        "where run_id = ? and severity = 'error' and not passed order by 1",
        [run_id],
    ).fetchall()
    return [r[0] for r in rows]


def mark_run(con: duckdb.DuckDBPyConnection, run_id: str, status: str, message: str | None) -> None:
    """Upsert this run's row in `ops.runs` (the runner inserts it; a sensor run may not)."""
    ensure_schema(con)
    now = datetime.now(UTC)
    exists = con.execute("select count(*) from ops.runs where run_id = ?", [run_id]).fetchone()
    if exists and exists[0]:
        con.execute(
            "update ops.runs set status = ?, finished_at = ?, message = ? where run_id = ?",
            [status, now, message, run_id],
        )
    else:
        con.execute(
            "insert into ops.runs values (?, ?, ?, ?, ?)", [run_id, now, now, status, message]
        )


def leftover_snapshots(serving: Path) -> list[Path]:
    """Temporary snapshot files beside `serving` (`.<name>.<run id>.tmp` and its `.wal`): what
    an interrupted publish leaves behind. Matched by name, not by glob, since the serving file's
    own name may hold glob characters."""
    if not serving.parent.is_dir():
        return []
    prefix = f".{serving.name}."
    return sorted(
        p
        for p in serving.parent.iterdir()
        if p.name.startswith(prefix) and _TMP_SUFFIX.search(p.name[len(prefix) :])
    )


def _columns(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> list[tuple[str, str]]:
    return con.execute(
        "select column_name, data_type from information_schema.columns "
        "where table_catalog = ? and table_schema = 'marts' and table_name = ? "
        "order by ordinal_position",
        [catalog, table],
    ).fetchall()


def _reusable(con: duckdb.DuckDBPyConnection, serving: Path) -> bool:
    """Whether the snapshot at `serving` was published from this warehouse: its run is one of
    this warehouse's succeeded runs (run ids are unique). A snapshot from another warehouse, or
    one that cannot be read, is never patched."""
    if not serving.exists():
        return False
    try:
        con.execute(f"attach {lit(serving)} as previous (read_only)")
    except duckdb.Error:
        return False
    try:
        row = con.execute(
            "select count(*) from previous.ops.publish_info as info "
            "inner join ops.runs on runs.run_id = info.run_id and runs.status = 'succeeded'"
        ).fetchone()
        return bool(row and row[0])
    except duckdb.Error:
        return False
    finally:
        con.execute("detach previous")


def _refresh_days(con: duckdb.DuckDBPyConnection, name: str, day_column: str) -> None:
    """Make `snap.marts.<name>` equal `marts.<name>` by replacing the rows of whole values of
    its key `day_column` (a day, or an order id): those with rows built after the snapshot's
    newest, and any the warehouse no longer has."""
    table, day = ident(name), ident(day_column)
    con.execute(
        f"""
        create temp table publish_days as
        select distinct {day} as day from marts.{table}
        where built_at > (select coalesce(max(built_at), '-infinity'::timestamp)
                          from snap.marts.{table})
        """
    )
    try:
        con.execute(
            f"delete from snap.marts.{table} where {day} in (select day from publish_days) "
            f"or {day} not in (select distinct {day} from marts.{table})"
        )
        con.execute(
            f"insert into snap.marts.{table} select * from marts.{table} "
            f"where {day} in (select day from publish_days)"
        )
    finally:
        con.execute("drop table publish_days")


@dataclass(frozen=True)
class Published:
    """What a publish wrote: tables in the snapshot, and the marts patched day by day."""

    tables: int
    patched: tuple[str, ...]


def publish(
    con: duckdb.DuckDBPyConnection,
    serving: Path,
    run_id: str,
    day_keys: Mapping[str, str] | None = None,
) -> Published:
    """Write the snapshot beside `serving` and rename it over `serving`.

    `day_keys` names the marts kept incremental by day (table -> date column); when the current
    snapshot came from this warehouse, those are patched day by day in a copy of it (see the
    module's docstring).

    Removes the temporary files of earlier interrupted publishes first: publishing runs under
    the writer lock, so no other publish can be writing one of them, and nothing else does.
    """
    serving.parent.mkdir(parents=True, exist_ok=True)
    tmp = serving.with_name(f".{serving.name}.{run_id}.tmp")
    for leftover in leftover_snapshots(serving):
        leftover.unlink(missing_ok=True)
    marts = [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_catalog = current_database() and table_schema = 'marts' order by 1"
        ).fetchall()
    ]
    day_keys = day_keys or {}
    patched: list[str] = []
    patch = bool(day_keys) and _reusable(con, serving)
    if patch:
        shutil.copyfile(serving, tmp)
    warehouse = con.execute("select current_database()").fetchone()[0]
    con.execute(f"attach {lit(tmp)} as snap")
    try:
        con.execute("create schema if not exists snap.marts")
        con.execute("create schema if not exists snap.ops")
        previous = {
            r[0]
            for r in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'snap' and table_schema = 'marts'"
            ).fetchall()
        }
        for name in sorted(previous - set(marts)):
            con.execute(f"drop table snap.marts.{ident(name)}")
        for name in marts:
            if (
                name in day_keys
                and name in previous
                and _columns(con, "snap", name) == _columns(con, warehouse, name)
            ):
                _refresh_days(con, name, day_keys[name])
                patched.append(name)
            else:
                con.execute(
                    f"create or replace table snap.marts.{ident(name)} as "
                    f"select * from marts.{ident(name)}"
                )
        for name in OPS_TABLES:
            con.execute(f"create or replace table snap.ops.{name} as select * from ops.{name}")
        con.execute(
            "create or replace table snap.ops.quarantine_summary as "
            "select source, entity, dt, reason_code, count(*) as rows from raw.quarantine "
            "group by all order by all"
        )
        con.execute(
            f"""
            create or replace table snap.ops.publish_info as
            select now() as published_at, {lit(run_id)} as run_id,
                   min(dt) as data_from, max(dt) as data_through
            from ops.deliveries
            where status = 'loaded' and entity not in ({in_list(SNAPSHOT_ENTITIES)})
            """
        )
        con.execute("checkpoint snap")
    finally:
        con.execute("detach snap")
    os.replace(tmp, serving)
    return Published(len(marts) + len(OPS_TABLES) + 2, tuple(patched))


def build_publish_asset(
    mart_keys: Sequence[AssetKey], day_keys: Mapping[str, str] | None = None
) -> AssetsDefinition:
    """The serving snapshot asset, after `mart_keys`; `day_keys` as for `publish`."""

    @asset(
        key=SERVING_KEY,
        deps=list(mart_keys),
        group_name="serving",
        kinds={"duckdb"},
        description="The dashboard's read-only snapshot: marts.* and ops.* copied into a new "
        "file and renamed over SHOPSIGHT_SERVING, only after every gate passed.",
        required_resource_keys={"paths", "reporter"},
    )
    def snapshot(context: AssetExecutionContext) -> MaterializeResult:
        paths: ShopsightPaths = context.resources.paths
        reporter: Reporter = context.resources.reporter
        reporter.flush("ingest", "checks", "dbt")
        started = time.perf_counter()
        with paths.writer() as con:
            failed = failed_gates(con, context.run_id)
            if failed:
                raise Failure(
                    description=f"not publishing: {len(failed)} gate(s) failed: "
                    + ", ".join(failed[:20])
                )
            mark_run(con, context.run_id, "succeeded", "published")
            published = publish(con, Path(paths.serving), context.run_id, day_keys)
        seconds = time.perf_counter() - started
        reporter.add("publish", tables=published.tables, path=paths.serving, seconds=seconds)
        reporter.flush("publish")
        return MaterializeResult(
            metadata={
                "tables": published.tables,
                "patched_by_day": ", ".join(published.patched) or "none",
                "path": paths.serving,
            }
        )

    return snapshot
