"""The raw layer as an open, engine-neutral Parquet lake.

Ingestion loads and checks deliveries into `warehouse.duckdb` (schema `raw`). This module copies
that layer out as Hive-partitioned Parquet, one folder per entity and one sub-folder per delivery
date, so that any engine that reads Parquet (DuckDB, Spark, Trino, ...) can build the marts:

    <lake>/raw/<entity>/_dt=YYYY-MM-DD/data_0.parquet

Decisions (docs/spark.md explains them for users):
- The partition key is the lineage column `_dt` under its own name. Two entities (`ad_spend`,
  `creator_stats`) have a data column called `dt`; a partition key of the same name would shadow
  it in both engines. Spark ignores folders starting with `_` unless they hold a `=`, so
  `_dt=...` folders are read normally.
- Columns keep the contract's types. Instants are written as `TIMESTAMPTZ`, i.e. Parquet
  timestamps adjusted to UTC, which Spark reads as `timestamp` (an instant), not
  `timestamp_ntz`. A naive `TIMESTAMP` in the raw layer would break that, so it is refused.
- Each entity is exported whole into a hidden sibling folder and then swapped in, so a reader
  never sees a half-written entity and a re-loaded delivery never leaves stale files behind.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from shopsight import contract
from shopsight.warehouse import connect

PARTITION_COLUMN = "_dt"
MANIFEST_NAME = "_manifest.json"


class LakeExportError(RuntimeError):
    """The raw layer cannot be exported as it is (missing table, naive timestamps)."""


def lake_dir(warehouse: Path) -> Path:
    """The lake root: `SHOPSIGHT_LAKE_DIR`, else `lake/` beside the warehouse file.

    The dbt profile's `spark` target reads the same variable (default `data/lake`, which is this
    default for the default warehouse path).
    """
    value = os.environ.get("SHOPSIGHT_LAKE_DIR")
    return Path(value).expanduser().resolve() if value else Path(warehouse).parent / "lake"


def entity_dir(lake: Path, entity: str) -> Path:
    """Where one raw entity lives in the lake: `<lake>/raw/<entity>`."""
    return lake / "raw" / entity


@dataclass(frozen=True)
class EntityExport:
    """What was written for one entity."""

    entity: str
    rows: int
    partitions: int
    files: int


@dataclass(frozen=True)
class LakeExport:
    """The result of one export: where, what, and how long it took."""

    lake: Path
    entities: tuple[EntityExport, ...]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(e.rows for e in self.entities)

    def by_entity(self) -> dict[str, EntityExport]:
        return {e.entity: e for e in self.entities}


def _select_list(columns: list[tuple[str, str]], table: str) -> str:
    naive = [name for name, type_ in columns if type_.upper() == "TIMESTAMP"]
    if naive:
        raise LakeExportError(
            f"raw.{table} has naive TIMESTAMP column(s) {naive}: Spark would read them as "
            "timestamp_ntz, not as instants; the raw layer must use TIMESTAMPTZ "
            "(contract.DUCKDB_TYPES)"
        )
    return ", ".join(f'"{name}"' for name, _ in columns)


def _swap_in(new: Path, final: Path) -> None:
    """Replace `final` by `new` with two renames, so the entity folder is never half-written."""
    old = final.with_name(f".{final.name}.old-{os.getpid()}")
    if final.exists():
        final.rename(old)
    new.rename(final)
    if old.exists():
        shutil.rmtree(old)


def export_raw(warehouse: Path, lake: Path, entities: Iterable[str] | None = None) -> LakeExport:
    """Write `raw.<entity>` of `warehouse` to `<lake>/raw/<entity>/_dt=.../*.parquet`.

    Every listed entity (default: all of the contract's) must exist in the warehouse. The caller
    holds the warehouse lock (or knows no writer is running): the file is opened read-only for
    the duration of the copy only.
    """
    started = time.perf_counter()
    names = list(entities) if entities is not None else [e.name for e in contract.ENTITIES]
    for name in names:
        contract.entity(name)  # unknown names fail here, before anything is written
    raw_root = lake / "raw"
    raw_root.mkdir(parents=True, exist_ok=True)
    results: list[EntityExport] = []
    with connect(warehouse, read_only=True) as con:
        for name in names:
            columns = con.execute(
                "select column_name, data_type from information_schema.columns "
                "where table_schema = 'raw' and table_name = ? order by ordinal_position",
                [name],
            ).fetchall()
            if not columns:
                raise LakeExportError(f"{warehouse} has no table raw.{name} to export")
            if PARTITION_COLUMN not in {c for c, _ in columns}:
                raise LakeExportError(f"raw.{name} has no {PARTITION_COLUMN} lineage column")
            staging = raw_root / f".{name}.new-{os.getpid()}"
            if staging.exists():
                shutil.rmtree(staging)
            staging.mkdir()
            rows = con.execute(f"select count(*) from raw.{name}").fetchone()[0]  # type: ignore[index]
            if rows:
                con.execute(
                    f"copy (select {_select_list(columns, name)} from raw.{name} "
                    f"order by {PARTITION_COLUMN}) to '{staging}' "
                    f"(format parquet, partition_by ({PARTITION_COLUMN}), compression zstd)"
                )
            files = sorted(staging.glob(f"{PARTITION_COLUMN}=*/*.parquet"))
            partitions = len({f.parent.name for f in files})
            _swap_in(staging, entity_dir(lake, name))
            results.append(EntityExport(name, int(rows), partitions, len(files)))
    export = LakeExport(lake, tuple(results), time.perf_counter() - started)
    _write_manifest(export)
    return export


def _write_manifest(export: LakeExport) -> None:
    """`<lake>/raw/_manifest.json`: what the last export wrote, for people and for checks."""
    manifest = {
        "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "partition_column": PARTITION_COLUMN,
        "entities": [asdict(e) for e in export.entities],
    }
    path = export.lake / "raw" / MANIFEST_NAME
    tmp = path.with_name(f".{MANIFEST_NAME}.tmp")
    tmp.write_text(json.dumps(manifest, indent=2) + "\n")
    tmp.replace(path)


def read_entity_sql(lake: Path, entity: str) -> str:
    """A DuckDB `read_parquet(...)` over one lake entity, partition column included."""
    glob = entity_dir(lake, entity) / f"{PARTITION_COLUMN}=*" / "*.parquet"
    return f"read_parquet('{glob}', hive_partitioning = true)"
