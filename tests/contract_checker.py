"""A standalone auditor of a landing zone against the landing contract (`shopsight.contract`).

It reads files the way any consumer of the contract would (CSV by header name, JSON Lines by key,
Parquet by schema) and applies the contract's rules and the quarantine policy of
docs/architecture.md, without using any of the simulator's code: the simulator and this checker
are two independent readings of the same contract, and the tests require them to agree.

`audit(root)` returns a `Report`:
- `rows`: one finding per row that ingestion must quarantine, with the *first* rule it breaks
  (missing_required -> bad_type -> bad_enum -> out_of_range -> rule_violation ->
  future_event / late_beyond_window -> conflicting_duplicate -> unknown_reference ->
  items_not_reconciled), including the order/lines/shipments cascades;
- `duplicates`: exact duplicate rows of one delivery (every copy after the first);
- `schema_drift`: unknown extra columns per file;
- `unreadable`: files that fail their whole (entity, dt) partition (truncated, wrong format,
  a required column missing);
- `layout`: problems with folders and names (missing `_SUCCESS`, unknown entity, bad `dt=`).

Rules with several columns are implemented here by their stable `code`; a contract rule the
checker does not know makes `audit` fail loudly, so a new rule cannot go unchecked.
"""

from __future__ import annotations

import csv
import io
import json
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from shopsight import contract

DT_FOLDER = re.compile(r"^dt=(\d{4}-\d{2}-\d{2})$")
TS_TEXT = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})$"
PATTERNS = {
    "integer": r"^-?\d+$",
    "decimal": r"^-?\d+(\.\d{1,2})?$",
    "timestamp": TS_TEXT,
    "date": r"^\d{4}-\d{2}-\d{2}$",
    "boolean": r"^(?i:true|false|1|0)$",
}
FIELD_SEP = "\x1f"
# Keys other rows point at: the contract's references, plus the stores a shipment leaves from
# (store_origin_is_store) and the orders whose order_ts a shipment follows.
REFERENCED = {c.references for e in contract.ENTITIES for c in e.columns if c.references} | {
    ("stores", "store_id"),
    ("orders", "order_id"),
}


@dataclass(frozen=True)
class RowFinding:
    entity: str
    file: str
    row_number: int
    reason: str
    column: str | None = None


@dataclass
class Report:
    rows: list[RowFinding] = field(default_factory=list)
    duplicates: list[tuple[str, str, int]] = field(default_factory=list)
    schema_drift: list[tuple[str, str, str]] = field(default_factory=list)
    unreadable: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # entity, dt, file, why
    layout: list[str] = field(default_factory=list)
    landed: dict[str, int] = field(default_factory=dict)
    files: dict[str, int] = field(default_factory=dict)

    def row_keys(self) -> set[tuple[str, str, int, str]]:
        return {(f.entity, f.file, f.row_number, f.reason) for f in self.rows}

    @property
    def clean(self) -> bool:
        return not (
            self.rows or self.duplicates or self.schema_drift or self.unreadable or self.layout
        )


class Unreadable(Exception):
    """A file that cannot be read as its entity's format (fails its partition)."""


# --- reading files ---------------------------------------------------------------------------


def _text_table(e: contract.Entity, columns: dict[str, pa.Array], typeok: dict[str, pa.Array]):
    n = len(next(iter(columns.values()))) if columns else 0
    out = {}
    for c in e.columns:
        out[c.name] = columns.get(c.name, pa.nulls(n, pa.string()))
        out[f"_t_{c.name}"] = typeok.get(c.name, pa.array([True] * n, pa.bool_()))
    return out, n


def read_csv(e: contract.Entity, path: Path):
    data = path.read_bytes()
    if not data:
        raise Unreadable("empty file without a header row")
    try:
        header = next(csv.reader(io.StringIO(data.split(b"\n", 1)[0].decode("utf-8"))))
    except (UnicodeDecodeError, StopIteration) as exc:
        raise Unreadable(f"unreadable header: {exc}") from exc
    if len(set(header)) != len(header):
        raise Unreadable("duplicate column names in the header")
    missing = [c for c in e.required_columns if c not in header]
    if missing:
        raise Unreadable(f"missing required column(s) {missing}")
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in header},
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowKeyError) as exc:
        raise Unreadable(f"not valid CSV: {exc}") from exc
    cols = {h: table.column(h).combine_chunks() for h in header}
    fingerprint = (
        pc.binary_join_element_wise(
            *cols.values(), FIELD_SEP, null_handling="replace", null_replacement="\x00"
        )
        if cols
        else pa.array([], pa.string())
    )
    extra = [h for h in header if h not in e.column_names]
    return cols, {}, fingerprint, extra


def _json_ok(type_: str, v: object) -> bool:
    if v is None:
        return True
    if type_ in ("string", "timestamp", "date"):
        return isinstance(v, str)
    if type_ == "integer":
        return isinstance(v, int) and not isinstance(v, bool)
    if type_ == "decimal":
        return isinstance(v, int | float) and not isinstance(v, bool)
    if type_ == "boolean":
        return isinstance(v, bool)
    if type_ == "string_array":
        return isinstance(v, list) and all(isinstance(x, str) for x in v)
    raise ValueError(type_)


def _json_text(v: object) -> str | None:
    if v is None:
        return None
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(v)
    return json.dumps(v)


def _parse_lines(lines: list[bytes]) -> list[object]:
    """Every line's JSON value. One parse of the whole file is much faster than one per line;
    only when it fails are lines parsed one by one, to name the bad one."""
    try:
        return json.loads(b"[" + b",".join(lines) + b"]")
    except (json.JSONDecodeError, UnicodeDecodeError):
        pass
    values = []
    for i, raw in enumerate(lines, start=1):
        try:
            values.append(json.loads(raw))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise Unreadable(f"line {i} is not JSON: {exc}") from exc
    return values


def read_jsonl(e: contract.Entity, path: Path):
    lines = path.read_bytes().split(b"\n")
    if lines and lines[-1] == b"":
        lines.pop()
    if any(not raw.strip() for raw in lines):
        raise Unreadable("blank line in JSON Lines")
    objs = _parse_lines(lines)
    if len(objs) != len(lines):  # e.g. two objects on one line
        raise Unreadable("lines do not hold one JSON value each")
    keys: set[str] = set()
    for i, o in enumerate(objs, start=1):
        if not isinstance(o, dict):
            raise Unreadable(f"line {i} is not a JSON object")
        keys.update(o)
    if objs:
        missing = [c for c in e.required_columns if c not in keys]
        if missing:
            raise Unreadable(f"missing required column(s) {missing}")
    cols, typeok = {}, {}
    for c in e.columns:
        values = [o.get(c.name) for o in objs]  # type: ignore[union-attr]
        ok = [_json_ok(c.type, v) for v in values]
        if c.type in ("string", "timestamp", "date") and all(ok):
            cols[c.name] = pa.array(values, pa.string())  # already text
        else:
            cols[c.name] = pa.array([_json_text(v) for v in values], pa.string())
        typeok[c.name] = pa.array(ok, pa.bool_())
    fingerprint = pa.array([raw.decode("utf-8", "replace") for raw in lines], pa.string())
    extra = sorted(keys - set(e.column_names))
    return cols, typeok, fingerprint, extra


def _parquet_compatible(type_: str, t: pa.DataType) -> bool:
    checks = {
        "string": pa.types.is_string(t) or pa.types.is_large_string(t),
        "integer": pa.types.is_integer(t),
        "decimal": pa.types.is_decimal(t) or pa.types.is_floating(t) or pa.types.is_integer(t),
        "timestamp": pa.types.is_timestamp(t) and t.tz is not None,
        "date": pa.types.is_date(t),
        "boolean": pa.types.is_boolean(t),
        "string_array": pa.types.is_list(t),
    }
    return checks[type_]


def _parquet_text(type_: str, arr: pa.Array) -> pa.Array:
    if type_ == "timestamp":
        utc = pc.cast(arr, pa.timestamp("us", tz="UTC"))
        text = pc.strftime(utc, format="%Y-%m-%dT%H:%M:%S")
        return pc.binary_join_element_wise(text, "Z", "")
    if type_ == "date":
        return pc.strftime(arr, format="%Y-%m-%d")
    if type_ == "boolean":
        return pc.if_else(arr, "true", "false")
    return pc.cast(arr, pa.string())


def read_parquet(e: contract.Entity, path: Path):
    try:
        table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise Unreadable(f"not a readable Parquet file: {exc}") from exc
    names = table.column_names
    missing = [c for c in e.required_columns if c not in names]
    if missing:
        raise Unreadable(f"missing required column(s) {missing}")
    cols = {}
    for c in e.columns:
        if c.name not in names:
            continue
        arr = table.column(c.name).combine_chunks()
        if not _parquet_compatible(c.type, arr.type):
            raise Unreadable(f"column {c.name} has Parquet type {arr.type}, expected {c.type}")
        cols[c.name] = _parquet_text(c.type, arr)
    everything = [pc.cast(table.column(n).combine_chunks(), pa.string()) for n in names]
    fingerprint = (
        pc.binary_join_element_wise(
            *everything, FIELD_SEP, null_handling="replace", null_replacement="\x00"
        )
        if names
        else pa.array([], pa.string())
    )
    extra = [n for n in names if n not in e.column_names]
    return cols, {}, fingerprint, extra


READERS = {"csv": read_csv, "jsonl": read_jsonl, "parquet": read_parquet}


# --- discovering the layout ------------------------------------------------------------------


def _discover(root: Path, report: Report) -> dict[str, list[tuple[date, Path]]]:
    """Complete delivery folders per entity: {entity: [(dt, folder)]}."""
    found: dict[str, list[tuple[date, Path]]] = {e.name: [] for e in contract.ENTITIES}
    by_key = {e.key: e for e in contract.ENTITIES}
    for source in sorted(p for p in root.iterdir() if p.is_dir()):
        if source.name not in contract.SOURCES:
            report.layout.append(f"unknown source folder {source.name}")
            continue
        for ent in sorted(p for p in source.iterdir()):
            e = by_key.get(f"{source.name}/{ent.name}")
            if e is None:
                report.layout.append(f"unknown entity folder {source.name}/{ent.name}")
                continue
            for folder in sorted(ent.iterdir()):
                m = DT_FOLDER.match(folder.name)
                try:
                    dt = date.fromisoformat(m.group(1)) if m else None
                except ValueError:
                    dt = None
                if dt is None or not folder.is_dir():
                    report.layout.append(f"{e.key}/{folder.name} is not a dt=YYYY-MM-DD folder")
                    continue
                if not (folder / contract.SUCCESS_MARKER).exists():
                    report.layout.append(f"{e.key}/{folder.name} has no {contract.SUCCESS_MARKER}")
                    continue
                found[e.name].append((dt, folder))
    return found


def _with_lineage(e: contract.Entity, cols, typeok, fingerprint, rel: str, dt: date) -> pa.Table:
    table, n = _text_table(e, cols, typeok)
    table["_fp"] = fingerprint
    table["_file"] = pa.repeat(pa.scalar(rel, pa.string()), n)
    table["_row"] = pa.array(np.arange(1, n + 1, dtype=np.int64))
    table["_dt"] = pa.repeat(pa.scalar(dt, pa.date32()), n)
    table["_fmt"] = pa.repeat(pa.scalar(e.format, pa.string()), n)
    return pa.table(table)


def _empty_table(e: contract.Entity) -> pa.Table:
    cols = {c.name: pa.array([], pa.string()) for c in e.columns}
    return _with_lineage(e, cols, {}, pa.array([], pa.string()), "", date(2000, 1, 1))


def _read_one(e: contract.Entity, path: Path):
    try:
        return READERS[e.format](e, path)
    except Unreadable as exc:
        return exc


def _load_entity(root: Path, e: contract.Entity, folders, report: Report) -> pa.Table | None:
    todo: list[tuple[date, Path, str]] = []
    for dt, folder in folders:
        for path in sorted(folder.iterdir()):
            if path.name == contract.SUCCESS_MARKER:
                continue
            rel = path.relative_to(root).as_posix()
            if path.suffix != f".{e.format}":
                report.layout.append(f"{rel}: expected .{e.format} files")
                continue
            todo.append((dt, path, rel))
    report.files[e.name] = len(todo)
    # Arrow's readers release the GIL, so two threads read two files at once.
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda t: _read_one(e, t[1]), todo))
    parts = []
    for (dt, _, rel), result in zip(todo, results, strict=True):
        if isinstance(result, Unreadable):
            report.unreadable.append((e.name, dt.isoformat(), rel, str(result)))
            continue
        cols, typeok, fingerprint, extra = result
        report.schema_drift.extend((e.name, rel, c) for c in extra)
        parts.append(_with_lineage(e, cols, typeok, fingerprint, rel, dt))
    if not parts:
        return None
    # Partitions with an unreadable file load nothing.
    failed = {dt for name, dt, _, _ in report.unreadable if name == e.name}
    table = pa.concat_tables(parts)
    if failed:
        dts = pc.cast(table["_dt"], pa.string())
        keep = pc.invert(pc.is_in(dts, value_set=pa.array(sorted(failed))))
        table = table.filter(keep)
    report.landed[e.name] = len(table)
    return table


# --- the checks ------------------------------------------------------------------------------


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _lit(v: object) -> str:
    return "'" + str(v).replace("'", "''") + "'"


def _ts(col: str) -> str:
    return f"try_cast({_q(col)} as timestamptz)"


def _parses(c: contract.Column) -> str:
    col = _q(c.name)
    if c.type in ("string", "string_array"):
        return "true"
    pattern = PATTERNS[c.type]
    check = f"regexp_matches({col}, {_lit(pattern)})"
    if c.type == "timestamp":
        check = f"({check} and {_ts(c.name)} is not null)"
    elif c.type == "date":
        check = f"({check} and try_cast({col} as date) is not null)"
    if c.type == "timestamp":
        return f"(case when _fmt = 'parquet' then {_ts(c.name)} is not null else {check} end)"
    return f"(_fmt = 'parquet' or {check})"


def _known(entity: str, column: str, value: str) -> str:
    """True when `value` is a `column` of `entity` loaded in this delivery or an earlier one.

    `first_<entity>_<column>` holds each key's first delivery, so the test is an equality join.
    """
    return (
        f"exists (select 1 from first_{entity}_{column} k "
        f"where k.key = {value} and k.first_dt <= r._dt)"
    )


def _rule(e: contract.Entity, rule: contract.Rule) -> str | None:
    """SQL that is true when a row breaks the rule (None for rules handled elsewhere)."""
    code = rule.code
    if code == "session_required_online":
        return "session_id is null and terminal <> 'offline_pos'"
    if code == "store_required_for_store_fulfilment":
        return "store_id is null and fulfilment in ('store_ship', 'store_pickup', 'in_store')"
    if code == "updated_not_before_order":
        return f"{_ts('updated_at')} < {_ts('order_ts')}"
    if code == "items_reconcile":
        return None  # the order/lines reconciliation below
    if code == "store_origin_is_store":
        return None  # a reference check (reason unknown_reference), below
    if code == "shipped_not_before_order":
        return (
            "exists (select 1 from first_orders_order_id o where o.key = r.order_id "
            f"and o.first_dt <= r._dt and {_ts('shipped_ts')} < o.order_ts)"
        )
    if code == "content_only_from_content_traffic":
        return "content_id is not null and traffic_source not in ('content', 'livestream')"
    if code == "variant_with_experiment":
        return (
            "(experiment_id is null) <> (variant is null) or (experiment_id is not null and not "
            + _known("experiments", "variant", "r.experiment_id || chr(31) || r.variant")
            + ")"
        )
    if code == "sku_only_for_product_click":
        return "(event_type = 'product_click') <> (sku_id is not null)"
    if code == "dwell_only_for_view":
        return "(event_type = 'view') <> (dwell_seconds is not null)"
    if code == "clicks_within_impressions":
        return "try_cast(clicks as bigint) > try_cast(impressions as bigint)"
    if code == "allocation_is_valid":
        weights = (
            "list_transform(json_keys(allocation), "
            "lambda k: try_cast(json_extract_string(allocation, '$.\"' || k || '\"') as double))"
        )
        return (
            "not coalesce(json_valid(allocation) and json_type(allocation) = 'OBJECT' "
            f"and abs(list_sum({weights}) - 1) < 1e-6 "
            "and list_contains(json_keys(allocation), control_variant), false)"
        )
    if code == "end_after_start":
        return f"{_ts('end_ts')} <= {_ts('start_ts')}"
    raise NotImplementedError(f"the checker does not know rule {code!r} of {e.key}")


def _row_checks(e: contract.Entity) -> list[tuple[str, str | None, str]]:
    """(reason, column, predicate) in the order the quarantine policy checks them."""
    checks: list[tuple[str, str | None, str]] = []
    for c in e.columns:
        if c.required:
            checks.append(
                ("missing_required", c.name, f"({_q(c.name)} is null or trim({_q(c.name)}) = '')")
            )
    for c in e.columns:
        ok = f"{_q('_t_' + c.name)} and {_parses(c)}"
        checks.append(("bad_type", c.name, f"({_q(c.name)} is not null and not ({ok}))"))
    for c in e.columns:
        if c.enum is not None:
            values = ", ".join(_lit(v) for v in c.enum)
            checks.append(("bad_enum", c.name, f"{_q(c.name)} not in ({values})"))
    for c in e.columns:
        if c.min_value is not None:
            checks.append(
                ("out_of_range", c.name, f"try_cast({_q(c.name)} as double) < {c.min_value}")
            )
    for rule in e.rules:
        if rule.reason == "rule_violation":
            sql = _rule(e, rule)
            if sql is not None:
                checks.append(("rule_violation", rule.code, f"({sql})"))
        else:
            _rule(e, rule)  # fails loudly for an unknown code
    return checks


def _window_checks(e: contract.Entity) -> list[tuple[str, str | None, str]]:
    if e.event_time is None:
        return []
    col = e.column(e.event_time)
    if col.type == "date":
        value = f"try_cast({_q(col.name)} as date)"
        return [
            ("future_event", col.name, f"{value} > r._dt"),
            ("late_beyond_window", col.name, f"{value} < r._dt - {contract.LATE_DATA_DAYS}"),
        ]
    start = f"timezone({_lit(contract.BUSINESS_TIMEZONE)}, r._dt::timestamp)"
    return [
        ("future_event", col.name, f"{_ts(col.name)} >= {start} + interval 1 day"),
        (
            "late_beyond_window",
            col.name,
            f"{_ts(col.name)} < {start} - interval {contract.LATE_DATA_DAYS} day",
        ),
    ]


def _reference_checks(e: contract.Entity) -> list[tuple[str, str | None, str]]:
    checks = []
    for c in e.columns:
        if c.references is None or (e.name, c.name) == ("order_items", "order_id"):
            continue
        target, key = c.references
        checks.append((
            "unknown_reference",
            c.name,
            f"{_q(c.name)} is not null and not {_known(target, key, 'r.' + _q(c.name))}",
        ))  # fmt: skip
    for rule in e.rules:
        if rule.code == "store_origin_is_store":
            checks.append((
                "unknown_reference",
                "origin_id",
                f"origin_type = 'store' and not {_known('stores', 'store_id', 'r.origin_id')}",
            ))  # fmt: skip
    return checks


def _case(checks: list[tuple[str, str | None, str]]) -> tuple[str, str]:
    if not checks:
        return "null", "null"
    reason = " ".join(f"when {p} then {_lit(r)}" for r, _, p in checks)
    column = " ".join(f"when {p} then {_lit(c) if c else 'null'}" for _, c, p in checks)
    return f"case {reason} end", f"case {column} end"


class _Auditor:
    def __init__(self, root: Path):
        self.root = root
        self.report = Report()
        self.con = duckdb.connect()
        self.con.execute("set TimeZone = 'UTC'")
        self._findings = False

    def run(self) -> Report:
        folders = _discover(self.root, self.report)
        for e in _dependency_order():
            table = _load_entity(
                self.root, e, sorted(folders[e.name], key=lambda x: x[0]), self.report
            )
            if table is None:
                table = _empty_table(e)
            self.con.register(f"in_{e.name}", table)
            if e.name == "order_items":
                continue  # checked with its orders
            if e.name == "orders":
                self._check_orders_and_items()
            else:
                self._check(e)
        findings = self.con.execute(
            "select entity, file, row_number, reason, col from findings order by all"
        ).fetchall()
        self.report.rows = [RowFinding(*f) for f in findings]
        self.report.duplicates = sorted(self.report.duplicates)
        return self.report

    def _prepare(self, e: contract.Entity, name: str, with_references: bool = True) -> None:
        """Check one entity's rows into table `name` (`_reason`, `_col`; null when loaded).

        Exact duplicates of a delivery are removed first (the first copy stays). Then one CASE
        applies every check in the policy's order, so the first broken rule wins: row rules,
        the event-time window, conflicting duplicates, references.
        """
        key = [*e.primary_key, *([e.versioned_by] if e.versioned_by else [])]
        part = ", ".join(["_dt", *(_q(k) for k in key)])
        self.con.execute(f"""
            create or replace temp table d_{e.name} as
            select *, row_number() over (partition by _dt, _h order by _file, _row) > 1 as _dup,
                   min(_h) over (partition by {part}) <> max(_h) over (partition by {part})
                       as _conflict
            -- md5, not hash(): DuckDB's hash() collides on short, similar strings
            from (select *, md5_number(_fp) as _h from in_{e.name})
        """)
        dups = self.con.execute(f"select _file, _row from d_{e.name} where _dup").fetchall()
        self.report.duplicates.extend((e.name, f, r) for f, r in dups)
        checks = [
            *_row_checks(e),
            *_window_checks(e),
            ("conflicting_duplicate", None, "_conflict"),
            *(_reference_checks(e) if with_references else []),
        ]
        reason, column = _case(checks)
        self.con.execute(f"""
            create or replace temp table {name} as
            select r.*, {reason} as _reason, {column} as _col
            from (select * from d_{e.name} where not _dup) r
        """)

    def _check(self, e: contract.Entity) -> None:
        name = f"c_{e.name}"
        self._prepare(e, name)
        self._publish(e, name)

    def _publish(self, e: contract.Entity, name: str) -> None:
        """Record the entity's findings and what later entities may reference."""
        for entity, column in sorted(REFERENCED):
            if entity != e.name:
                continue
            extra = (
                ", min(try_cast(order_ts as timestamptz)) as order_ts" if e.name == "orders" else ""
            )
            self.con.execute(f"""
                create or replace temp table first_{entity}_{column} as
                select {_q(column)} as key, min(_dt) as first_dt{extra}
                from {name} where _reason is null group by 1
            """)
        if e.name == "experiments":
            self.con.execute(f"""
                create or replace temp table first_experiments_variant as
                select experiment_id || chr(31) || unnest(json_keys(allocation)) as key,
                       min(_dt) as first_dt
                from {name} where _reason is null and json_valid(allocation) group by 1
            """)
        select = (
            f"select {_lit(e.name)} as entity, _file as file, _row as row_number, "
            f"_reason as reason, _col as col from {name} where _reason is not null"
        )
        if self._findings:
            self.con.execute(f"insert into findings {select}")
        else:
            self.con.execute(f"create temp table findings as {select}")
            self._findings = True

    def _check_orders_and_items(self) -> None:
        """Orders and their lines stand or fall together (docs/architecture.md)."""
        o_e, l_e = contract.ORDERS, contract.ORDER_ITEMS
        self._prepare(o_e, "c_orders")
        self._prepare(l_e, "c_order_items")
        con = self.con
        # Lines whose order row is in the same delivery follow it; the others need an order
        # loaded in an earlier delivery.
        con.execute("""
            create or replace temp table pair as
            select l._dt, l.order_id, bool_or(o._reason is not null) as order_bad
            from c_order_items l join c_orders o using (_dt, order_id) group by all
        """)
        con.execute("""
            create or replace temp table line_state as
            select _dt, order_id,
                   bool_or(_reason is not null) as any_bad,
                   sum(try_cast(quantity as bigint) * try_cast(unit_price as decimal(18, 2)))
                       filter (where _reason is null) as total
            from c_order_items group by all
        """)
        # Orders with lines in the same delivery.
        con.execute("""
            update c_orders o set _reason = 'items_not_reconciled', _col = null
            from line_state s
            where o._reason is null and s._dt = o._dt and s.order_id = o.order_id
              and (s.any_bad or abs(s.total - try_cast(o.discount_amount as decimal(18, 2))
                                    - try_cast(o.order_amount as decimal(18, 2))) > 0.01)
        """)
        con.execute("""
            update c_order_items l set _reason = 'unknown_reference', _col = 'order_id'
            from pair p
            where l._reason is null and p._dt = l._dt and p.order_id = l.order_id and p.order_bad
        """)
        con.execute("""
            update c_order_items l set _reason = 'items_not_reconciled', _col = null
            from c_orders o
            where l._reason is null and o._dt = l._dt and o.order_id = l.order_id
              and o._reason = 'items_not_reconciled'
        """)
        # Orders without lines in their delivery reconcile against lines loaded earlier.
        con.execute("""
            create or replace temp table earlier as
            select l._dt, l.order_id,
                   sum(try_cast(quantity as bigint) * try_cast(unit_price as decimal(18, 2)))
                       as total
            from c_order_items l where l._reason is null group by all
        """)
        con.execute("""
            update c_orders o set _reason = 'items_not_reconciled', _col = null
            where o._reason is null
              and not exists (select 1 from c_order_items l
                              where l._dt = o._dt and l.order_id = o.order_id)
              and coalesce((
                  select abs(e.total - try_cast(o.discount_amount as decimal(18, 2))
                             - try_cast(o.order_amount as decimal(18, 2))) > 0.01
                  from earlier e where e.order_id = o.order_id and e._dt < o._dt
                  order by e._dt desc limit 1), true)
        """)
        # Lines delivered without their order need one loaded before.
        con.execute("""
            update c_order_items l set _reason = 'unknown_reference', _col = 'order_id'
            where l._reason is null
              and not exists (select 1 from c_orders o
                              where o._dt = l._dt and o.order_id = l.order_id)
              and not exists (select 1 from c_orders o where o._reason is null
                              and o._dt < l._dt and o.order_id = l.order_id)
        """)
        self._publish(o_e, "c_orders")
        self._publish(l_e, "c_order_items")


def _dependency_order() -> list[contract.Entity]:
    """Entities after everything they reference. Orders and their lines are checked together,
    so `order_items` comes right before `orders` and inherits its dependencies."""
    deps = {
        e.name: {c.references[0] for c in e.columns if c.references} - {e.name}
        for e in contract.ENTITIES
    }
    deps["shipments"] |= {"stores", "orders"}  # store_origin_is_store, shipped_not_before_order
    deps["sessions"] |= {"experiments"}  # variant_with_experiment
    deps["orders"] |= deps.pop("order_items") - {"orders"}
    done: list[str] = []
    while deps:
        ready = sorted(n for n, d in deps.items() if d <= set(done))
        if not ready:
            raise RuntimeError(f"circular references among {sorted(deps)}")
        for n in ready:
            done.extend(["order_items", n] if n == "orders" else [n])
            del deps[n]
    return [contract.entity(n) for n in done]


def audit(root: Path) -> Report:
    """Audit every file under the landing root `root`."""
    return _Auditor(Path(root)).run()


if __name__ == "__main__":  # pragma: no cover - a manual tool: python tests/contract_checker.py DIR
    import sys

    rep = audit(Path(sys.argv[1]))
    print(f"rows landed: {rep.landed}")
    for kind in ("layout", "unreadable", "schema_drift", "duplicates"):
        print(f"{kind}: {len(getattr(rep, kind))}", getattr(rep, kind)[:5])
    print(f"row findings: {len(rep.rows)}")
    for f in rep.rows[:20]:
        print("  ", f)
