"""Loading batches of deliveries into `raw`: stage, judge every row, then replace in one go.

Plain Python + DuckDB, with no Dagster import, so the benchmark and other exporters can reuse it.
For each entity, every pending delivery of the batch is staged with one read per file layout,
judged by one SQL statement, and written in ONE transaction that first deletes the batch's
delivery dates (rows, quarantine rows, bookkeeping) and then inserts: re-ingesting a delivery
replaces exactly that delivery, so loading is idempotent.
"""

from __future__ import annotations

import os
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from shopsight import contract
from shopsight.ingest import orders as orders_rules
from shopsight.ingest.layout import Delivery
from shopsight.ingest.readers import Staged, stage
from shopsight.ingest.rules import LOOKUP_DEPENDENCIES
from shopsight.ingest.schema import ensure_schema
from shopsight.ingest.sqltext import ident, in_list, lit
from shopsight.ingest.validate import judge

# Landing bytes per load batch (`batches`), overridable for machines with more or less memory.
BATCH_MB_ENV = "SHOPSIGHT_INGEST_BATCH_MB"
DEFAULT_BATCH_MB = 256

# Orders and their lines are judged together, so they load as one unit.
UNITS: dict[str, tuple[str, ...]] = {"orders": ("orders", "order_items")}


@dataclass(frozen=True)
class DeliveryResult:
    """What happened to one (entity, dt) delivery; one row of `ops.deliveries`."""

    entity: str
    dt: date
    files: int
    landed: int
    loaded: int
    quarantined: int
    duplicates: int
    schema_drift: tuple[str, ...]
    status: str  # 'loaded' | 'failed'
    error: str | None

    @property
    def reconciles(self) -> bool:
        return self.landed == self.loaded + self.quarantined + self.duplicates


@dataclass
class EntityLoad:
    """One entity's share of a load: its deliveries and the time the load took."""

    entity: str
    deliveries: list[DeliveryResult] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, name: str) -> int:
        return sum(getattr(d, name) for d in self.deliveries)

    @property
    def failed(self) -> list[DeliveryResult]:
        return [d for d in self.deliveries if d.status == "failed"]

    @property
    def drift(self) -> list[str]:
        return sorted({c for d in self.deliveries for c in d.schema_drift})


def dependencies(entity: contract.Entity) -> set[str]:
    """Entities whose loaded rows `entity` reads while being judged."""
    deps = {c.references[0] for c in entity.columns if c.references}
    deps |= set(LOOKUP_DEPENDENCIES.get(entity.name, ()))
    deps.discard(entity.name)
    if entity.name == "order_items":
        deps.discard("orders")  # judged in the same unit
    return deps


def unit_of(name: str) -> str:
    for unit, members in UNITS.items():
        if name in members:
            return unit
    return name


def load_order() -> list[str]:
    """Units in an order where everything a unit reads has loaded before it."""
    units: dict[str, set[str]] = defaultdict(set)
    # Reference snapshots first, then the contract's order: stable and easy to read in logs.
    for e in sorted(contract.ENTITIES, key=lambda e: not e.snapshot):
        units[unit_of(e.name)] |= {unit_of(d) for d in dependencies(e)} - {unit_of(e.name)}
    done: list[str] = []
    while len(done) < len(units):
        ready = [u for u in units if u not in done and units[u] <= set(done)]
        if not ready:
            raise RuntimeError(f"circular dependencies between {sorted(set(units) - set(done))}")
        done.append(ready[0])
    return done


def pending(
    con: duckdb.DuckDBPyConnection, deliveries: Iterable[Delivery], *, full_refresh: bool = False
) -> list[Delivery]:
    """Deliveries never loaded, or re-delivered since (`_SUCCESS` newer than recorded)."""
    deliveries = list(deliveries)
    if full_refresh:
        return deliveries
    ensure_schema(con)
    seen = {
        (entity, dt): int(us)
        for entity, dt, us in con.execute(
            "select entity, dt, epoch_us(success_mtime) from ops.deliveries"
        ).fetchall()
    }
    return [d for d in deliveries if seen.get((d.entity, d.dt), -1) < d.success_mtime_us]


def load_unit(
    con: duckdb.DuckDBPyConnection,
    unit: str,
    deliveries: list[Delivery],
    landing_dir: Path,
    run_id: str,
    loaded_at: datetime | None = None,
    batch_bytes: int | None = None,
) -> dict[str, EntityLoad]:
    """Load the deliveries of one unit (an entity, or orders + order_items), a batch of
    delivery dates at a time, each batch in one transaction (see `batches`)."""
    ensure_schema(con)
    loaded_at = loaded_at or datetime.now(UTC)
    members = UNITS.get(unit, (unit,))
    for d in deliveries:
        if d.entity not in members:
            raise ValueError(f"delivery {d.entity}/{d.dt} does not belong to unit {unit!r}")
    results = {name: EntityLoad(entity=name) for name in members}
    for batch in batches(deliveries, batch_bytes or batch_bytes_limit()):
        loads = _load_batch(con, unit, batch, landing_dir, run_id, loaded_at)
        for name, load in loads.items():
            results[name].deliveries += load.deliveries
            results[name].seconds += load.seconds
    return results


def batch_bytes_limit() -> int:
    """`SHOPSIGHT_INGEST_BATCH_MB` (default 256) in bytes."""
    value = os.environ.get(BATCH_MB_ENV, "").strip()
    try:
        mb = float(value) if value else DEFAULT_BATCH_MB
    except ValueError:
        raise ValueError(f"{BATCH_MB_ENV}={value!r} is not a number of megabytes") from None
    if mb <= 0:
        raise ValueError(f"{BATCH_MB_ENV}={value!r} must be positive")
    return int(mb * 1024 * 1024)


def batches(deliveries: list[Delivery], max_bytes: int) -> list[list[Delivery]]:
    """The deliveries in groups of whole, consecutive delivery dates of at most `max_bytes` of
    landing files each (a single bigger date is a group of its own).

    Staging a batch takes several times its file size in memory (text, typed values and
    verdicts side by side), so an unbounded batch (a backfill of months at a large scale)
    spilled gigabytes to disk; bounded batches keep a load within DuckDB's memory limit at
    any scale. Loading date by date in order also mirrors daily operation: a batch judges
    its rows against everything the earlier batches loaded.
    """
    by_dt: dict[date, list[Delivery]] = defaultdict(list)
    for d in deliveries:
        by_dt[d.dt].append(d)
    out: list[list[Delivery]] = []
    size = 0
    for dt in sorted(by_dt):
        day = by_dt[dt]
        day_bytes = sum(_size(p) for d in day for p in d.files)
        if not out or size + day_bytes > max_bytes:
            out.append([])
            size = 0
        out[-1] += day
        size += day_bytes
    return out


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0  # unreadable: staging reports it on its delivery


def _load_batch(
    con: duckdb.DuckDBPyConnection,
    unit: str,
    deliveries: list[Delivery],
    landing_dir: Path,
    run_id: str,
    loaded_at: datetime,
) -> dict[str, EntityLoad]:
    """Stage, judge and write one batch of a unit's deliveries in one transaction."""
    members = UNITS.get(unit, (unit,))
    started = time.perf_counter()
    by_entity: dict[str, list[Delivery]] = {m: [] for m in members}
    for d in deliveries:
        by_entity[d.entity].append(d)

    staged: dict[str, Staged] = {}
    for name in members:
        e = contract.entity(name)
        staged[name] = stage(con, e, by_entity[name], landing_dir, f"_stg_{name}")
        judge(con, e, f"_stg_{name}", f"_chk_{name}")
        fail_truncated(con, e, by_entity[name], staged[name], landing_dir)
    if unit == "orders":
        _fail_together(staged["orders"], staged["order_items"])
    for name in members:
        if staged[name].failed:
            dts = in_list(dt.isoformat() for dt in staged[name].failed)
            con.execute(f"delete from _stg_{name} where _dt in ({dts})")
            con.execute(f"delete from _chk_{name} where _dt in ({dts})")
    if unit == "orders":
        orders_rules.reconcile(
            con,
            "_chk_orders",
            "_chk_order_items",
            [d.dt.isoformat() for d in by_entity["orders"]],
            [d.dt.isoformat() for d in by_entity["order_items"]],
        )

    con.execute("begin")
    try:
        for name in members:
            _write(con, contract.entity(name), by_entity[name], staged[name], run_id, loaded_at)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    results = {name: _results(con, name, by_entity[name]) for name in members}
    for name in members:
        con.execute(f"drop table if exists _stg_{name}")
        con.execute(f"drop table if exists _chk_{name}")
    seconds = time.perf_counter() - started
    for r in results.values():
        r.seconds = seconds / len(members)
    return results


def fail_truncated(
    con: duckdb.DuckDBPyConnection,
    e: contract.Entity,
    deliveries: list[Delivery],
    staged: Staged,
    landing_dir: Path,
) -> None:
    """Fail the delivery of a text file that was cut off: it does not end with a line break
    and its last row is broken. (A cut inside the last field still parses as a row with the
    right number of fields, so the reader alone would only quarantine that row.)"""
    if e.format == "parquet":
        return
    cut: dict[str, Delivery] = {}
    for d in deliveries:
        for path in d.files:
            if d.dt not in staged.failed and not _ends_with_newline(path):
                cut[path.resolve().relative_to(landing_dir.resolve()).as_posix()] = d
    if not cut:
        return
    rows = con.execute(
        f"""
        select _file, _row_number, _verdict.reason, _verdict.message from _chk_{e.name}
        where _file in ({in_list(cut)})
        qualify _row_number = max(_row_number) over (partition by _file)
        """
    ).fetchall()
    for file, row_number, reason, message in rows:
        if reason is not None:
            staged.failed.setdefault(
                cut[file].dt,
                f"{file}: truncated file: it ends without a line break and its last row "
                f"(row {row_number}) is broken ({reason}: {message})",
            )


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as fh:
        fh.seek(0, 2)
        if fh.tell() == 0:
            return True
        fh.seek(-1, 2)
        return fh.read(1) == b"\n"


def _fail_together(orders: Staged, items: Staged) -> None:
    """Orders and their lines are judged together: if either delivery of a dt fails, so does
    the other (otherwise every line or every order of that day would be quarantined)."""
    for dt, error in list(orders.failed.items()):
        items.failed.setdefault(dt, f"the orders delivery of this dt failed: {error}")
    for dt, error in list(items.failed.items()):
        orders.failed.setdefault(dt, f"the order_items delivery of this dt failed: {error}")


def _write(
    con: duckdb.DuckDBPyConnection,
    e: contract.Entity,
    deliveries: list[Delivery],
    staged: Staged,
    run_id: str,
    loaded_at: datetime,
) -> None:
    """Replace the batch's deliveries of `e`: raw rows, quarantine rows and bookkeeping."""
    if not deliveries:
        return
    dts = in_list(d.dt.isoformat() for d in deliveries)
    chk = f"_chk_{e.name}"
    table = f"raw.{ident(e.name)}"
    con.execute(f"delete from {table} where _dt in ({dts})")
    con.execute(f"delete from raw.quarantine where entity = {lit(e.name)} and dt in ({dts})")
    con.execute(f"delete from ops.deliveries where entity = {lit(e.name)} and dt in ({dts})")
    typed = ", ".join(ident(c.name + "__t") for c in e.columns)
    con.execute(
        f"insert into {table} select {typed}, _file, _row_number, _dt, $1 "
        f"from {chk} where _verdict is null and _copy = 1 order by _dt, _file, _row_number",
        [loaded_at],
    )
    con.execute(
        "insert into raw.quarantine select $1, $2, _dt, _file, _row_number, _verdict.col, "
        f"_verdict.reason, _verdict.message, _raw, $3 from {chk} where _verdict is not null "
        "order by _dt, _file, _row_number",
        [e.source, e.name, loaded_at],
    )
    batch = pa.table(
        {
            "dt": pa.array([d.dt for d in deliveries], pa.date32()),
            "success_mtime": pa.array(
                [d.success_mtime_us for d in deliveries], pa.timestamp("us", tz="UTC")
            ),
            "files": pa.array([len(d.files) + len(d.stray_files) for d in deliveries], pa.int32()),
            "schema_drift": pa.array(
                [", ".join(sorted(staged.drift.get(d.dt, ()))) or None for d in deliveries],
                pa.string(),
            ),
            "status": ["failed" if d.dt in staged.failed else "loaded" for d in deliveries],
            "error": pa.array([staged.failed.get(d.dt) for d in deliveries], pa.string()),
        }
    )
    con.register("_ingest_batch_arrow", batch)
    try:
        con.execute(
            "create or replace temp table _ingest_batch as select * from _ingest_batch_arrow"
        )
    finally:
        con.unregister("_ingest_batch_arrow")
    con.execute(
        f"""
        insert into ops.deliveries
        select $1, $2, b.dt, b.success_mtime, b.files,
               coalesce(c.landed, 0), coalesce(c.loaded, 0), coalesce(c.quarantined, 0),
               coalesce(c.duplicates, 0), b.schema_drift, b.status, b.error, $3, $4
        from _ingest_batch b
        left join (
            select _dt,
                   count(*) as landed,
                   count(*) filter (where _verdict is null and _copy = 1) as loaded,
                   count(*) filter (where _verdict is not null) as quarantined,
                   count(*) filter (where _verdict is null and _copy > 1) as duplicates
            from {chk} group by _dt
        ) c on c._dt = b.dt
        """,
        [e.source, e.name, run_id, loaded_at],
    )


def _results(con: duckdb.DuckDBPyConnection, name: str, deliveries: list[Delivery]) -> EntityLoad:
    """Read back what was recorded, with `landed` counted from the staging table so that the
    reconciliation compares two independent counts."""
    load = EntityLoad(entity=name)
    if not deliveries:
        return load
    dts = in_list(d.dt.isoformat() for d in deliveries)
    rows = con.execute(
        f"""
        select d.dt, d.files, coalesce(s.landed, 0), coalesce(r.loaded, 0),
               coalesce(q.quarantined, 0), d.duplicate_rows, d.schema_drift, d.status, d.error
        from ops.deliveries d
        left join (select _dt, count(*) landed from _stg_{name} group by 1) s on s._dt = d.dt
        left join (select _dt, count(*) loaded from raw.{ident(name)}
                   where _dt in ({dts}) group by 1) r on r._dt = d.dt
        left join (select dt, count(*) quarantined from raw.quarantine
                   where entity = {lit(name)} and dt in ({dts}) group by 1) q on q.dt = d.dt
        where d.entity = {lit(name)} and d.dt in ({dts})
        order by d.dt
        """
    ).fetchall()
    for dt, files, landed, loaded, quarantined, dups, drift, status, error in rows:
        load.deliveries.append(
            DeliveryResult(
                entity=name,
                dt=dt,
                files=files,
                landed=landed,
                loaded=loaded,
                quarantined=quarantined,
                duplicates=dups,
                schema_drift=tuple(drift.split(", ")) if drift else (),
                status=status,
                error=error,
            )
        )
    return load
