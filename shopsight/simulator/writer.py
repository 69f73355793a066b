"""Lay rows out into files and write them: `<root>/<source>/<entity>/dt=YYYY-MM-DD/<file>`.

Rows are sorted once into their final order (delivery day, file, position), which fixes every
row's 1-based row number before anything is written; faults are then applied to the rendered
text at known positions. CSV and JSON Lines are rendered as whole Arrow string columns joined
into lines, and each file is one slice of the joined buffer, so writing is a few large `write`
calls rather than a loop over rows. Parquet files are slices of one Arrow table.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from shopsight import contract
from shopsight.simulator import render
from shopsight.simulator.content import csr_take
from shopsight.simulator.params import SimParams
from shopsight.simulator.rows import KINDS, PERSON_PREFIXES, Rows, enum_values

BATCH_ROWS = 1_000_000  # rows rendered at once (bounds memory and Arrow's 2 GiB string offsets)


@dataclass
class Layout:
    """Final placement of one entity's rows."""

    rows: Rows
    perm: np.ndarray  # position -> row
    group_start: np.ndarray  # first position of each (dt, file) group, plus len at the end
    group_dt: np.ndarray
    group_file: np.ndarray
    row_number: np.ndarray  # per position, 1-based within its file
    position_of_uid: dict[int, int] = field(default_factory=dict)

    def where(self, uid: int) -> tuple[int, int, int]:
        """(dt, file index, row_number) of the row with this uid."""
        pos = self.position_of_uid[int(uid)]
        r = self.rows
        row = self.perm[pos]
        return int(r.dt[row]), int(r.file[row]), int(self.row_number[pos])


def make_layout(rows: Rows, uids_of_interest: np.ndarray | None = None) -> Layout:
    perm = np.lexsort((rows.uid, rows.origin, rows.sort_key, rows.file, rows.dt))
    dt, file = rows.dt[perm], rows.file[perm]
    n = len(perm)
    change = np.ones(n, dtype=bool)
    if n:
        change[1:] = (dt[1:] != dt[:-1]) | (file[1:] != file[:-1])
    starts = np.flatnonzero(change)
    group_of = np.cumsum(change) - 1
    row_number = np.arange(n) - starts[group_of] + 1 if n else np.zeros(0, np.int64)
    layout = Layout(
        rows=rows,
        perm=perm,
        group_start=np.append(starts, n),
        group_dt=dt[starts],
        group_file=file[starts],
        row_number=row_number,
    )
    if uids_of_interest is not None and len(uids_of_interest):
        pos = np.empty(int(rows.uid.max()) + 1, dtype=np.int64)
        pos[rows.uid[perm]] = np.arange(n)
        layout.position_of_uid = {int(u): int(pos[u]) for u in np.unique(uids_of_interest)}
    return layout


def relative_path(params: SimParams, rows: Rows, dt: int, file: int) -> str:
    e = rows.entity
    return f"{e.source}/{e.name}/dt={params.date_of(dt).isoformat()}/{rows.files[file]}"


# --- rendering ---------------------------------------------------------------------------------


def _text(rows: Rows, name: str, v, cols: dict) -> pa.Array:
    """A column as the text written in CSV (and the string form used for JSON and Parquet)."""
    kind = KINDS[rows.name][name]
    tag = kind[0]
    if tag == "id":
        return render.ids(kind[1], kind[2], v)  # type: ignore[arg-type]
    if tag == "person":
        return render.prefixed_ids(PERSON_PREFIXES, cols[kind[1]], 9, v)
    if tag == "enum":
        return render.enum(enum_values(rows.name, name), v)
    if tag == "ts":
        return render.timestamps(v, cols["__tz"])
    if tag == "money":
        return render.money(v)
    if tag == "int":
        return render.ints(v)
    if tag == "date":
        return render.dates(v)
    if tag == "bool":
        return render.booleans(v)
    if tag == "text":
        return v
    raise ValueError(f"{rows.name}.{name}: kind {kind} has no text form")


def _typed(rows: Rows, name: str, v, cols: dict) -> pa.Array:
    """A column as the Arrow type written to Parquet."""
    tag = KINDS[rows.name][name][0]
    if tag == "ts":
        return render.ts_arrow(v)
    if tag == "date":
        return render.date_arrow(v)
    if tag == "money":
        return render.money_arrow(v)
    if tag == "int":
        return pa.array(
            v, pa.int64(), mask=(v == render.NULL_INT) if (v == render.NULL_INT).any() else None
        )
    if tag == "bool":
        return pa.array(v, pa.bool_())
    return _text(rows, name, v, cols)


def _json_token(rows: Rows, name: str, v, cols: dict) -> pa.Array:
    """A number, boolean or SKU list column as JSON tokens (`12`, `true`, `["SKU1"]`, `null`)."""
    if KINDS[rows.name][name][0] == "skus":
        ptr, values = rows.sku_lists  # type: ignore[misc]
        sub_ptr, sub_values = csr_take(ptr, values, np.asarray(v))
        return render.json_string_lists(sub_ptr, render.ids("SKU", 7, sub_values))
    return render.json_raw(_text(rows, name, v, cols))


def _override_value(fmt: str, value: object) -> object:
    if fmt == "jsonl":
        return json.dumps(value)
    if fmt == "csv":
        return None if value is None else str(value)
    return value


# Kinds whose text never holds a comma, quote, backslash or line break.
_SAFE_KINDS = {"id", "person", "enum", "ts", "money", "int", "date", "bool"}
_STRING_KINDS = {"id", "person", "enum", "ts", "date", "text"}


def render_batch(
    rows: Rows, idx: np.ndarray, fmt: str, overrides: dict[str, dict[int, object]], first_pos: int
) -> tuple[dict[str, pa.Array], set[str]]:
    """The columns of rows `idx` (positions first_pos..) in the file format's representation.

    Also returns the *plain* columns, which let the line writer skip work: in CSV, text that
    never needs quoting; in JSON Lines, strings without nulls that the line template quotes
    (instead of turning each value into a JSON token). Faulted columns are never plain.
    """
    cols = rows.take(idx)
    cols["__tz"] = rows.tz[idx]
    out: dict[str, pa.Array] = {}
    plain: set[str] = set()
    for name in rows.entity.column_names:
        v = cols[name]
        kind = KINDS[rows.name][name][0]
        faulted = _local_positions(overrides.get(name, {}), first_pos, len(idx))
        if fmt == "csv":
            arr = _text(rows, name, v, cols)
            if kind in _SAFE_KINDS and not faulted:
                plain.add(name)
        elif fmt == "jsonl":
            if kind in _STRING_KINDS:
                arr = _text(rows, name, v, cols)
                if kind == "text":
                    arr = render.json_escape(arr)
                if arr.null_count == 0 and not faulted:
                    plain.add(name)
                else:
                    arr = render.json_string(arr, escape=False)
            else:
                arr = _json_token(rows, name, v, cols)
        else:
            arr = _typed(rows, name, v, cols)
        out[name] = _apply_overrides(arr, overrides.get(name, {}), fmt, first_pos, len(idx))
    return out, plain


def _local_positions(by_pos: dict[int, object], first: int, n: int) -> list[int]:
    return sorted(p - first for p in by_pos if first <= p < first + n)


def _apply_overrides(arr: pa.Array, by_pos: dict[int, object], fmt: str, first: int, n: int):
    local = _local_positions(by_pos, first, n)
    if not local:
        return arr
    mask = np.zeros(n, dtype=bool)
    mask[local] = True
    values = [_override_value(fmt, by_pos[first + p]) for p in local]
    return pc.replace_with_mask(arr, pa.array(mask), pa.array(values, arr.type))


def _csv_field(arr: pa.Array) -> pa.Array:
    """RFC 4180: quote fields holding a comma, quote or line break; double inner quotes."""
    needs = pc.match_substring_regex(arr, '[",\r\n]')
    if not pc.any(needs).as_py():
        return arr
    quoted = pc.binary_join_element_wise('"', pc.replace_substring(arr, '"', '""'), '"', "")
    return pc.if_else(needs, quoted, arr)


def _csv_lines(cols: dict[str, pa.Array], plain: set[str]) -> pa.Array:
    fields = [a if name in plain else _csv_field(a) for name, a in cols.items()]
    joined = pc.binary_join_element_wise(*fields, ",", null_handling="replace", null_replacement="")
    return pc.binary_join_element_wise(joined, "\n", "")


def _jsonl_lines(cols: dict[str, pa.Array], plain: set[str]) -> pa.Array:
    """`{"a":…,"b":…}` lines. Literal parts (keys, and quotes around plain strings) are merged
    so that the join has as few pieces as possible."""
    parts: list[object] = []
    literal = ""
    for i, (name, arr) in enumerate(cols.items()):
        literal += ("{" if i == 0 else ",") + json.dumps(name) + ":"
        quote = '"' if name in plain else ""
        parts.extend([literal + quote, arr])
        literal = quote
    parts.append(literal + "}\n")
    return pc.binary_join_element_wise(*parts, "")


def csv_header(names: list[str]) -> bytes:
    return (",".join(names) + "\n").encode()


@dataclass
class Drift:
    """An unknown extra column in one file (schema drift)."""

    dt: int
    file: int
    column: str
    index: int  # where the column is inserted among the contract's columns
    value: str


@dataclass
class Written:
    path: str
    rows: int


def _groups(layout: Layout) -> Iterator[tuple[int, int, int, int]]:
    gs = layout.group_start
    for g in range(len(gs) - 1):
        yield int(layout.group_dt[g]), int(layout.group_file[g]), int(gs[g]), int(gs[g + 1])


def _batches(layout: Layout) -> Iterator[tuple[int, int, list[tuple[int, int, int, int]]]]:
    """Consecutive file groups, about BATCH_ROWS rows at a time."""
    batch: list[tuple[int, int, int, int]] = []
    for g in _groups(layout):
        batch.append(g)
        if g[3] - batch[0][2] >= BATCH_ROWS:
            yield batch[0][2], g[3], batch
            batch = []
    if batch:
        yield batch[0][2], batch[-1][3], batch


def _slice_bytes(lines: pa.Array, a: int, b: int) -> memoryview:
    offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32, count=len(lines) + 1 + lines.offset)
    offsets = offsets[lines.offset :]
    data = lines.buffers()[2]
    return memoryview(data)[offsets[a] : offsets[b]]


def write_entity(
    root: Path,
    params: SimParams,
    layout: Layout,
    overrides: dict[str, dict[int, object]],
    drifts: list[Drift],
    folder_days: np.ndarray,
) -> list[Written]:
    """Write every file of one entity, then the `_SUCCESS` marker of each of its folders."""
    rows = layout.rows
    fmt = rows.entity.format
    names = list(rows.entity.column_names)
    drift_at = {(d.dt, d.file): d for d in drifts}
    written: list[Written] = []
    for a, b, groups in _batches(layout):
        cols, plain = render_batch(rows, layout.perm[a:b], fmt, overrides, a)
        lines = None if fmt == "parquet" else _render_lines(fmt, cols, plain)
        for dt, file, ga, gb in groups:
            rel = relative_path(params, rows, dt, file)
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            drift = drift_at.get((dt, file))
            sub = {k: v.slice(ga - a, gb - ga) for k, v in cols.items()}
            if fmt == "parquet":
                _write_parquet(path, sub, drift)
            elif drift is not None:
                drifted = _render_lines(fmt, _with_drift(sub, drift, fmt), plain)
                _write_text(path, fmt, names, drifted, 0, gb - ga, drift)
            else:
                _write_text(path, fmt, names, lines, ga - a, gb - a, None)
            written.append(Written(rel, gb - ga))
    # Every folder gets its files (empty ones where a day had no rows) and then its marker.
    have = {(int(d), int(f)) for d, f in zip(layout.group_dt, layout.group_file, strict=True)}
    for dt in folder_days:
        if not any((int(dt), f) in have for f in range(len(rows.files))):
            rel = relative_path(params, rows, int(dt), 0)
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if fmt == "parquet":
                _write_parquet(path, render_batch(rows, np.zeros(0, np.int64), fmt, {}, 0)[0], None)
            else:
                path.write_bytes(csv_header(names) if fmt == "csv" else b"")
            written.append(Written(rel, 0))
    for dt in sorted({int(d) for d in folder_days} | {int(d) for d in layout.group_dt}):
        folder = root / relative_path(params, rows, dt, 0)
        (folder.parent / contract.SUCCESS_MARKER).write_bytes(b"")
    return written


def _render_lines(fmt: str, cols: dict[str, pa.Array], plain: set[str]) -> pa.Array:
    return _csv_lines(cols, plain) if fmt == "csv" else _jsonl_lines(cols, plain)


def _with_drift(cols: dict[str, pa.Array], drift: Drift, fmt: str) -> dict[str, pa.Array]:
    items = list(cols.items())
    n = len(items[0][1]) if items else 0
    token = json.dumps(drift.value) if fmt == "jsonl" else drift.value
    items.insert(drift.index, (drift.column, pa.array([token] * n, pa.string())))
    return dict(items)


def _write_text(
    path: Path, fmt: str, names: list[str], lines: pa.Array, a: int, b: int, drift
) -> None:
    with path.open("wb") as f:
        if fmt == "csv":
            header = list(names)
            if drift is not None:
                header.insert(drift.index, drift.column)
            f.write(csv_header(header))
        f.write(_slice_bytes(lines, a, b))


def _write_parquet(path: Path, cols: dict[str, pa.Array], drift: Drift | None) -> None:
    table = pa.table(cols)
    if drift is not None:
        table = table.add_column(
            drift.index, drift.column, pa.array([drift.value] * len(table), pa.string())
        )
    pq.write_table(table, path, compression="snappy")
