"""Finding complete deliveries in the landing zone.

A delivery is one `<source>/<entity>/dt=YYYY-MM-DD/` folder holding a `_SUCCESS` marker. Its
data files are the files with the entity's format extension, whatever their name (the contract
allows any name: `.x.csv` and `_x.csv` are data too). Other names starting with `.` or `_` are
bookkeeping of the writer (like `_SUCCESS` itself) and are not data. Any other file is a
contract breach that fails the delivery, so nothing in a delivery is silently skipped.

Symbolic links are never followed: a delivery folder that is a link (or sits in a source or
entity folder that is one), or that holds a link, is refused (the link could point anywhere,
out of the landing zone included), and so is a delivery holding a file whose name is not
UTF-8 (it cannot be recorded or named in a message). A refused delivery fails with the reasons;
none of its files is opened.
"""

from __future__ import annotations

import os
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
    # Why the delivery must not be read at all (links, undecodable names); it fails with these.
    refused: tuple[str, ...] = field(default_factory=tuple)

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
    refused: list[str] = []
    # The dt= folder, or its entity or source folder (a link there would make every delivery
    # below it read from wherever it points): not even listed, the target is never opened.
    for level, path in (("source", folder.parent.parent), ("entity", folder.parent)):
        if path.is_symlink():
            refused.append(f"the {level} folder is a symbolic link (to {_link_target(path)})")
    if folder.is_symlink():
        refused.append(f"the delivery folder is a symbolic link (to {_link_target(folder)})")
    for path in [] if refused else sorted(folder.iterdir()):
        problem = _refusal(path)
        if problem:
            refused.append(problem)
            continue
        data = path.name.endswith(ext)
        if (_is_bookkeeping(path.name) and not data) or path.is_dir():
            continue
        (files if data else stray).append(path)
    return Delivery(
        entity=entity.name,
        dt=dt,
        folder=folder,
        success_mtime_us=marker.stat().st_mtime_ns // 1000,
        files=tuple(files),
        stray_files=tuple(stray),
        refused=tuple(refused),
    )


def _refusal(path: Path) -> str | None:
    """Why an entry of a delivery folder makes the delivery unreadable, or None."""
    if path.is_symlink():
        return (
            f"{_shown(path.name)} is a symbolic link (to {_link_target(path)}); "
            "deliveries must be real files"
        )
    try:
        path.name.encode("utf-8")
    except UnicodeEncodeError:  # os.listdir decoded undecodable bytes as lone surrogates
        return f"the file name {_shown(path.name)} is not UTF-8 text; rename the file"
    return None


def _shown(name: str) -> str:
    """`name` printable and valid UTF-8 whatever its bytes (undecodable bytes as \\xNN)."""
    text = os.fsencode(name).decode("utf-8", "backslashreplace")
    return repr(text).replace("\\\\x", "\\x")  # repr doubles the backslashes of \\xNN


def _link_target(path: Path) -> str:
    return _shown(os.readlink(path))


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
