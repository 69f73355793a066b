"""Finding complete deliveries in the landing zone.

A delivery is one `<source>/<entity>/dt=YYYY-MM-DD/` folder holding a `_SUCCESS` marker. Its
data files are the files with the entity's format extension; names starting with `.` or `_`
are bookkeeping of the writer (like `_SUCCESS` itself) and are not data. Any other file is a
contract breach that fails the delivery, so nothing in a delivery is silently skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from shopsight import contract

DT_FOLDER = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
EXTENSIONS: dict[str, str] = {"csv": ".csv", "jsonl": ".jsonl", "parquet": ".parquet"}


@dataclass(frozen=True)
class Delivery:
    """One complete (entity, dt) folder of the landing zone."""

    entity: str
    dt: date
    folder: Path
    success_mtime_us: int  # mtime of `_SUCCESS`, microseconds since the epoch
    files: tuple[Path, ...]
    # Files that cannot be data of this entity (wrong extension): they fail the delivery.
    stray_files: tuple[Path, ...] = field(default_factory=tuple)

    @property
    def source(self) -> str:
        return contract.entity(self.entity).source

    @property
    def partition_key(self) -> str:
        return self.dt.isoformat()


def _is_bookkeeping(name: str) -> bool:
    return name.startswith((".", "_"))


def read_delivery(entity: contract.Entity, folder: Path) -> Delivery | None:
    """The delivery in `folder`, or None if it is not complete (no `_SUCCESS`) or not a dt=."""
    match = DT_FOLDER.match(folder.name)
    marker = folder / contract.SUCCESS_MARKER
    if not match or not marker.is_file():
        return None
    try:
        dt = date.fromisoformat(match.group(1))
    except ValueError:
        return None  # dt=2016-02-30 is not a delivery date; `unknown_folders` reports it
    ext = EXTENSIONS[entity.format]
    files: list[Path] = []
    stray: list[Path] = []
    for path in sorted(folder.iterdir()):
        if _is_bookkeeping(path.name) or path.is_dir():
            continue
        (files if path.name.endswith(ext) else stray).append(path)
    return Delivery(
        entity=entity.name,
        dt=dt,
        folder=folder,
        success_mtime_us=marker.stat().st_mtime_ns // 1000,
        files=tuple(files),
        stray_files=tuple(stray),
    )


def discover(landing_dir: Path, entities: tuple[str, ...] | None = None) -> list[Delivery]:
    """Every complete delivery under `landing_dir`, ordered by entity (contract order) then dt."""
    found: list[Delivery] = []
    for entity in contract.ENTITIES:
        if entities is not None and entity.name not in entities:
            continue
        base = landing_dir / entity.source / entity.name
        if not base.is_dir():
            continue
        for folder in sorted(base.iterdir()):
            delivery = read_delivery(entity, folder) if folder.is_dir() else None
            if delivery is not None:
                found.append(delivery)
    return found


def unknown_folders(landing_dir: Path) -> list[Path]:
    """Folders under the landing root that no contract entity claims (reported, not loaded)."""
    known = {(e.source, e.name) for e in contract.ENTITIES}
    odd: list[Path] = []
    if not landing_dir.is_dir():
        return odd
    for source in sorted(p for p in landing_dir.iterdir() if p.is_dir()):
        if _is_bookkeeping(source.name):
            continue
        for ent in sorted(p for p in source.iterdir() if p.is_dir()):
            if (source.name, ent.name) not in known:
                odd.append(ent)
                continue
            for folder in sorted(p for p in ent.iterdir() if p.is_dir()):
                if not DT_FOLDER.match(folder.name) or _bad_date(folder.name):
                    odd.append(folder)
    return odd


def _bad_date(name: str) -> bool:
    try:
        date.fromisoformat(name[3:])
    except ValueError:
        return True
    return False
