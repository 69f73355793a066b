"""Reading a batch of deliveries of one entity into a staging table, with DuckDB's readers.

One statement reads many files (every dt folder of the batch) so that a two-year backfill costs
a handful of statements per entity, not one per partition. Files are inspected first (headers,
keys, Parquet schemas) so that a file missing a required column fails only its own delivery; a
read that still fails (a truncated or malformed file) is retried without the file DuckDB named,
and that file's delivery fails with DuckDB's own explanation.

The staging table has, per contract column `c`: `c` (the value as text), `c__t` (the typed value)
and `c__ok` (false when a present value could not be read as its type), plus `_file` (relative
to the landing root), `_row_number` (1-based data row), `_dt` and `_raw` (the row as landed).
"""

from __future__ import annotations

import csv
import io
import os
import re
from collections import defaultdict
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from shopsight import contract
from shopsight.ingest.conversions import typed_from_native, typed_from_text
from shopsight.ingest.layout import Delivery
from shopsight.ingest.sqltext import ident, lit, lit_list

# The widest contract entity has 14 columns. A header far wider than that is refused before DuckDB
# sees the file: DuckDB builds a row that wide (100,000 columns took minutes and gigabytes, a
# million exhausted memory), and the header is read with a bounded read for the same reason.
MAX_COLUMNS = 1000
MAX_HEADER_CHARS = 1 << 20

# Paths made only of these characters reach DuckDB as they are. Any other path (a file name with
# `*`, `?`, `[`, a backslash, ...) could be read as a glob pattern: DuckDB 2.0 expands those
# characters in every reader, and bracket-escaping (`[*]`) breaks down after a backslash. Such a
# file is opened here and passed as `/dev/fd/N`, which names exactly that file.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9/._=+,@ -]+")


class FileError(Exception):
    """A file that cannot be read as its entity's format; fails its whole delivery."""

    def __init__(self, file: Path, problem: str) -> None:
        super().__init__(f"{file}: {problem}")
        self.file = file
        self.problem = problem


@dataclass
class Staged:
    """What staging found besides the rows: failed deliveries and schema drift."""

    table: str
    failed: dict[date, str] = field(default_factory=dict)  # dt -> readable error
    drift: dict[date, set[str]] = field(default_factory=lambda: defaultdict(set))


@dataclass(frozen=True)
class _FileInfo:
    path: Path
    rel: str
    dt: date
    scan: str  # the path given to DuckDB's readers (and its `filename` column)


def staging_ddl(entity: contract.Entity, table: str) -> str:
    cols = ["_file varchar", "_row_number bigint", "_dt date", "_raw varchar"]
    for c in entity.columns:
        cols += [
            f"{ident(c.name)} varchar",
            f"{ident(c.name + '__t')} {contract.DUCKDB_TYPES[c.type]}",
            f"{ident(c.name + '__ok')} boolean",
        ]
    return f"create or replace temp table {table} ({', '.join(cols)})"


def _short_error(exc: Exception) -> str:
    """DuckDB's message without its 'possible fixes' advice, on one line."""
    text = str(exc).split("Possible fixes:")[0]
    text = re.sub(r"^[A-Za-z ]*Error: ", "", text.strip())
    text = text.split("\nLINE ")[0]  # drop the SQL echo of binder errors
    return " ".join(text.split())[:600]


def stage(
    con: duckdb.DuckDBPyConnection,
    entity: contract.Entity,
    deliveries: list[Delivery],
    landing_dir: Path,
    table: str,
) -> Staged:
    """Read every file of `deliveries` into the temp table `table` (replaced if it exists)."""
    con.execute(staging_ddl(entity, table))
    staged = Staged(table=table)
    with ExitStack() as opened:
        _stage_files(con, entity, deliveries, landing_dir, staged, opened)
    con.execute("drop table if exists _ingest_scan")  # a batch's text: free it now
    if staged.failed:
        # A delivery fails whole: drop rows its other (readable) files already staged.
        dts = ", ".join(lit(dt.isoformat()) for dt in staged.failed)
        con.execute(f"delete from {table} where _dt in ({dts})")
    return staged


def _stage_files(
    con: duckdb.DuckDBPyConnection,
    entity: contract.Entity,
    deliveries: list[Delivery],
    landing_dir: Path,
    staged: Staged,
    opened: ExitStack,
) -> None:
    infos: list[_FileInfo] = []
    for d in deliveries:
        if d.refused:
            staged.failed[d.dt] = f"{_rel(d.folder, landing_dir)}: " + "; ".join(d.refused)
            continue
        if d.stray_files:
            names = ", ".join(_rel(p, landing_dir) for p in d.stray_files)
            staged.failed[d.dt] = (
                f"{_rel(d.folder, landing_dir)}: unexpected file(s) {names}; "
                f"{entity.key} delivers only .{entity.format} files"
            )
            continue
        files: list[_FileInfo] = []
        for p in d.files:
            try:
                scan = _scan_path(p, opened)
            except OSError as exc:
                # Replaced by a link (O_NOFOLLOW) or removed since the folder was listed.
                staged.failed[d.dt] = f"{_rel(p, landing_dir)}: cannot open ({exc.strerror})"
                break
            files.append(_FileInfo(p, _rel(p, landing_dir), d.dt, scan))
        else:
            infos += files
    if not infos:
        return
    reader: Callable[[duckdb.DuckDBPyConnection, contract.Entity, list[_FileInfo], Staged], None]
    reader = {"csv": _stage_csv, "jsonl": _stage_jsonl, "parquet": _stage_parquet}[entity.format]
    reader(con, entity, infos, staged)


def _scan_path(path: Path, opened: ExitStack) -> str:
    """What to give DuckDB to read exactly `path` (see `_PLAIN_PATH`); a descriptor opened here
    stays open until staging ends. O_NOFOLLOW: a link put in place after the folder was listed
    is still refused."""
    text = str(path)
    if _PLAIN_PATH.fullmatch(text):
        return text
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC)
    opened.callback(os.close, fd)
    return f"/dev/fd/{fd}"


def _rel(path: Path, root: Path) -> str:
    """`path` relative to the landing root, without resolving links (a linked delivery folder
    is reported where it sits in the landing zone, not where it points)."""
    for p, r in ((path, root), (path.resolve(), root.resolve())):
        try:
            return p.relative_to(r).as_posix()
        except ValueError:
            continue
    return path.as_posix()


def _fail(staged: Staged, info: _FileInfo, problem: str) -> None:
    staged.failed.setdefault(info.dt, f"{info.rel}: {problem}")


def _read_groups(
    con: duckdb.DuckDBPyConnection,
    groups: list[list[_FileInfo]],
    staged: Staged,
    insert: Callable[[list[_FileInfo]], None],
) -> None:
    """Run `insert` per group of files; on a read error drop the file DuckDB names and retry.

    If the message names no single file of the group, each file is tried alone to find the bad
    ones, so one broken file never blocks the other deliveries of the batch.
    """
    for group in groups:
        pending = [f for f in group if f.dt not in staged.failed]
        while pending:
            try:
                con.execute("begin")
                insert(pending)
                con.execute("commit")
                break
            except (duckdb.Error, FileError) as exc:
                con.execute("rollback")
                if isinstance(exc, FileError):
                    culprits = [f for f in pending if str(exc.file) in (str(f.path), f.scan)]
                    message = exc.problem
                else:
                    message = _short_error(exc)
                    culprits = [f for f in pending if f.scan in str(exc)]
                if len(culprits) != 1:
                    culprits = _find_unreadable(con, pending, insert)
                if not culprits:
                    raise
                for f in culprits:
                    _fail(staged, f, message if len(culprits) == 1 else "unreadable file")
                pending = [f for f in pending if f.dt not in staged.failed]


def _find_unreadable(
    con: duckdb.DuckDBPyConnection,
    files: list[_FileInfo],
    insert: Callable[[list[_FileInfo]], None],
) -> list[_FileInfo]:
    bad: list[_FileInfo] = []
    for f in files:
        con.execute("begin")
        try:
            insert([f])
        except (duckdb.Error, FileError):
            bad.append(f)
        finally:
            con.execute("rollback")
    return bad


def _file_map(con: duckdb.DuckDBPyConnection, files: list[_FileInfo]) -> None:
    """A temp table mapping the reader's `filename` to the relative path and dt (built from an
    Arrow table: row-by-row inserts cost milliseconds each, and a batch has thousands of files)."""
    table = pa.table(
        {
            "filename": [f.scan for f in files],
            "rel": [f.rel for f in files],
            "dt": pa.array([f.dt for f in files], pa.date32()),
        }
    )
    con.register("_ingest_files_arrow", table)
    try:
        con.execute(
            "create or replace temp table _ingest_files as select * from _ingest_files_arrow"
        )
    finally:
        con.unregister("_ingest_files_arrow")


def _insert_from_scan(
    con: duckdb.DuckDBPyConnection,
    entity: contract.Entity,
    staged: Staged,
    scan_sql: str | None,
    text_exprs: dict[str, str],
    typed_exprs: dict[str, str],
    ok_extra: dict[str, str],
    raw_expr: str,
    row_number_expr: str | None = None,
    scan_columns: str = "",
) -> None:
    """Materialise `scan_sql` (in file order; None: `_ingest_scan` exists), then stage its rows.

    The scan is materialised first because DuckDB keeps insertion order: the temp table's rowids
    then run file by file in row order, which gives each row its row number in its file.
    A scan whose rows carry their number (`row_number_expr`: Parquet's `file_row_number`) is
    read straight into the staging table instead, saving a copy of every row.
    `scan_columns` adds expressions computed once per scanned row (`, expr as name`) that the
    value expressions may read as `s.name`.
    """
    if scan_columns and row_number_expr:
        raise ValueError("scan_columns replace the scan's rowid: give no row_number_expr")
    firsts = ""
    if row_number_expr is not None:
        # Rows carry their own number: no need to materialise the scan in file order.
        rn = row_number_expr
        source = f"({scan_sql}) s" if scan_sql is not None else "_ingest_scan s"
    else:
        if scan_sql is not None:
            con.execute(f"create or replace temp table _ingest_scan as {scan_sql}")
        # A file's rows are consecutive rowids in file order, so a row's number is its rowid
        # less its file's first: a small group-by instead of a window that sorts every row.
        rn = "s._scan_rowid - firsts._first_rowid + 1"
        source = f"(select *, rowid as _scan_rowid{scan_columns} from _ingest_scan) s"
        firsts = (
            " join (select filename, min(rowid) as _first_rowid from _ingest_scan "
            "group by filename) firsts on firsts.filename = s.filename"
        )
    select = ["f.rel", rn, "f.dt", raw_expr]
    for c in entity.columns:
        text = text_exprs[c.name]
        typed = typed_exprs[c.name]
        ok = f"({text}) is null or ({typed}) is not null"
        if c.name in ok_extra:
            ok = f"({ok}) and ({ok_extra[c.name]})"
        select += [text, typed, ok]
    con.execute(
        f"insert into {staged.table} select {', '.join(select)} "
        f"from {source} join _ingest_files f on f.filename = s.filename{firsts}"
    )


# --- CSV ---------------------------------------------------------------------------------------


def _csv_header(path: Path) -> list[str]:
    """The header row, read with a bounded read (see `MAX_COLUMNS`)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            head = fh.read(MAX_HEADER_CHARS)
            more = bool(fh.read(1))
        buffer = io.StringIO(head, newline="")
        row = next(csv.reader(buffer), None)
    except UnicodeDecodeError as exc:
        raise FileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except csv.Error as exc:
        raise FileError(path, f"unreadable CSV header ({exc})") from None
    if more and not buffer.read():
        # The header row did not end within the bounded read: far too many columns.
        raise FileError(
            path,
            f"the header row is longer than {MAX_HEADER_CHARS:,} characters (too many columns; "
            f"at most {MAX_COLUMNS:,} are accepted)",
        )
    if not row:
        raise FileError(path, "empty file: no header row")
    if len(row) > MAX_COLUMNS:
        raise FileError(
            path, f"the header has {len(row):,} columns; at most {MAX_COLUMNS:,} are accepted"
        )
    return row


def _check_columns(
    entity: contract.Entity, info: _FileInfo, names: list[str], staged: Staged
) -> bool:
    """Fail the file if a required column is missing or a name repeats; record drift."""
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        _fail(staged, info, f"repeated column(s) {', '.join(dupes)}")
        return False
    missing = [c for c in entity.required_columns if c not in names]
    if missing:
        _fail(staged, info, f"missing required column(s) {', '.join(missing)}")
        return False
    extra = [n for n in names if n not in entity.column_names]
    if extra:
        staged.drift[info.dt].update(extra)
    return True


def _stage_csv(
    con: duckdb.DuckDBPyConnection, entity: contract.Entity, files: list[_FileInfo], staged: Staged
) -> None:
    by_header: dict[tuple[str, ...], list[_FileInfo]] = defaultdict(list)
    for info in files:
        try:
            header = _csv_header(info.path)
        except FileError as exc:
            _fail(staged, info, exc.problem)
            continue
        if _check_columns(entity, info, header, staged):
            by_header[tuple(header)].append(info)

    def insert_group(header: tuple[str, ...]) -> Callable[[list[_FileInfo]], None]:
        def insert(group: list[_FileInfo]) -> None:
            _file_map(con, group)
            columns = "{" + ", ".join(f"{lit(h)}: 'VARCHAR'" for h in header) + "}"
            scan = (
                f"select * from read_csv({lit_list(f.scan for f in group)}, header = true, "
                "auto_detect = false, delim = ',', quote = '\"', escape = '\"', "
                f"strict_mode = true, null_padding = false, encoding = 'utf-8', "
                f"columns = {columns}, filename = true, hive_partitioning = false)"
            )
            text = {
                c.name: (f"nullif(s.{ident(c.name)}, '')" if c.name in header else "null::varchar")
                for c in entity.columns
            }
            typed = {c.name: typed_from_text(text[c.name], c.type) for c in entity.columns}
            raw = (
                "to_json(struct_pack("
                + ", ".join(f"{ident(h)} := s.{ident(h)}" for h in header)
                + "))::varchar"
            )
            _insert_from_scan(con, entity, staged, scan, text, typed, {}, raw)

        return insert

    for header, group in by_header.items():
        _read_groups(con, [group], staged, insert_group(header))


# --- JSON Lines --------------------------------------------------------------------------------


def _non_blank_lines(path: str) -> int:
    """Lines with any content: what a newline-delimited reader must return one object for."""
    with open(path, "rb") as fh:
        return sum(1 for line in fh if line.strip())


def _check_every_line_was_read(con: duckdb.DuckDBPyConnection, group: list[_FileInfo]) -> None:
    """Reconcile each file's objects in `_ingest_scan` with its own line count.

    DuckDB 2.0's `read_json_objects` over several files sometimes drops a truncated last line
    of one file without an error (it raises when that file is read alone), so the reader's
    count cannot be its own proof: a file whose lines outnumber its objects fails.
    """
    read = dict(
        con.execute("select filename, count(*) from _ingest_scan group by filename").fetchall()
    )
    for f in group:
        lines = _non_blank_lines(f.scan)
        if read.get(f.scan, 0) != lines:
            raise FileError(
                f.path,
                f"{lines:,} lines but {read.get(f.scan, 0):,} JSON objects could be read: the "
                "file is truncated or a line is malformed",
            )


def _stage_jsonl(
    con: duckdb.DuckDBPyConnection, entity: contract.Entity, files: list[_FileInfo], staged: Staged
) -> None:
    def insert(group: list[_FileInfo]) -> None:
        _file_map(con, group)
        scan = (
            f"select json, filename from read_json_objects({lit_list(f.scan for f in group)}, "
            "format = 'newline_delimited', filename = true, hive_partitioning = false)"
        )
        con.execute(f"create or replace temp table _ingest_scan as {scan}")
        _check_every_line_was_read(con, group)
        # A line that is valid JSON but not an object cannot be a row of the entity.
        # Looked for first, numbered only when found: numbering every line costs a window.
        bad = con.execute(
            "select filename, rowid from _ingest_scan "
            "where json is null or json_type(json) <> 'OBJECT' order by rowid limit 1"
        ).fetchone()
        if bad:
            (line,) = con.execute(
                "select count(*) from _ingest_scan where filename = $1 and rowid <= $2", bad
            ).fetchone() or (0,)
            raise FileError(Path(bad[0]), f"line {line} is not a JSON object")
        # Every key is extracted in one call per row: DuckDB parses the document once per call,
        # so one call per column parsed each line twice per column (value and JSON type).
        paths = [
            lit("$." + c.name) if c.name.isidentifier() else lit(f'$."{c.name}"')
            for c in entity.columns
        ]
        arrays = [i for i, c in enumerate(entity.columns) if c.type == "string_array"]
        scan_columns = (
            f", json_extract_string(json, [{', '.join(paths)}]) as _values"
            f", json_type(json, [{', '.join(paths)}]) as _types"
        )
        if arrays:
            array_paths = ", ".join(paths[i] for i in arrays)
            scan_columns += f", json_extract(json, [{array_paths}])::varchar[] as _arrays"
        text: dict[str, str] = {}
        ok_extra: dict[str, str] = {}
        for i, c in enumerate(entity.columns):
            jtype = f"s._types[{i + 1}]"
            if c.type == "string_array":
                text[c.name] = (
                    f"case when {jtype} is null or {jtype} = 'NULL' then null "
                    f"else s._arrays[{arrays.index(i) + 1}] end"
                )
            else:
                text[c.name] = f"nullif(s._values[{i + 1}], '')"
                # An object or array where a scalar belongs is unreadable as the column's type.
                ok_extra[c.name] = f"coalesce({jtype} not in ('OBJECT', 'ARRAY'), true)"
        typed = {c.name: typed_from_text(text[c.name], c.type) for c in entity.columns}
        _insert_from_scan(
            con,
            entity,
            staged,
            None,
            text,
            typed,
            ok_extra,
            "s.json::varchar",
            scan_columns=scan_columns,
        )

    good = list(files)
    _read_groups(con, [good], staged, insert)
    # Keys per file: a required key absent from every line fails the file; unknown keys drift.
    present = [f for f in good if f.dt not in staged.failed]
    if not present:
        return
    _file_map(con, present)
    rows = con.execute(
        f"select f.rel, k from (select distinct _file as rel, unnest(json_keys(_raw)) as k "
        f"from {staged.table}) t join _ingest_files f using (rel)"
    ).fetchall()
    keys: dict[str, set[str]] = defaultdict(set)
    for rel, k in rows:
        keys[rel].add(k)
    nonempty = {r[0] for r in con.execute(f"select distinct _file from {staged.table}").fetchall()}
    for info in present:
        if info.rel in nonempty:
            _check_columns(entity, info, sorted(keys[info.rel]), staged)


# --- Parquet -----------------------------------------------------------------------------------


def _parquet_schemas(
    con: duckdb.DuckDBPyConnection, files: list[_FileInfo], staged: Staged
) -> dict[str, list[tuple[str, str]]]:
    """Column names and DuckDB types per file, from the files' footers only.

    One `parquet_schema` query reads every footer; files with the same columns and types (in
    any order: the group read binds by name) share one `DESCRIBE` for the DuckDB types. A
    footer that cannot be read (a truncated file) fails its delivery.
    """
    try:
        rows = con.execute(
            "select file_name, list(struct_pack(name, type, logical_type, num_children) "
            f"order by name) from parquet_schema({lit_list(f.scan for f in files)}) "
            "group by file_name"
        ).fetchall()
        layouts = {name: str(layout) for name, layout in rows}
    except duckdb.Error:
        layouts = {}
    described: dict[str, list[tuple[str, str]]] = {}
    schemas: dict[str, list[tuple[str, str]]] = {}
    for info in files:
        layout = layouts.get(info.scan)
        if layout is not None and layout in described:
            schemas[info.scan] = described[layout]
            continue
        try:
            found = con.execute(
                f"describe select * from read_parquet({lit(info.scan)}, hive_partitioning = false)"
            ).fetchall()
        except duckdb.Error as exc:
            _fail(staged, info, _short_error(exc))
            continue
        schemas[info.scan] = [(r[0], r[1]) for r in found]
        if layout is not None:
            described[layout] = schemas[info.scan]
    return schemas


def _stage_parquet(
    con: duckdb.DuckDBPyConnection, entity: contract.Entity, files: list[_FileInfo], staged: Staged
) -> None:
    schemas = _parquet_schemas(con, files, staged)
    groups: dict[tuple[tuple[str, str], ...], list[_FileInfo]] = defaultdict(list)
    for info in files:
        schema = schemas.get(info.scan)
        if schema is None:
            continue
        if _check_columns(entity, info, [n for n, _ in schema], staged):
            groups[tuple(schema)].append(info)

    def insert_group(schema: tuple[tuple[str, str], ...]) -> Callable[[list[_FileInfo]], None]:
        native = dict(schema)

        def insert(group: list[_FileInfo]) -> None:
            _file_map(con, group)
            scan = (
                f"select * from read_parquet({lit_list(f.scan for f in group)}, "
                "filename = true, file_row_number = true, hive_partitioning = false, "
                "union_by_name = true)"
            )
            text: dict[str, str] = {}
            typed: dict[str, str] = {}
            for c in entity.columns:
                if c.name not in native:
                    text[c.name] = "null::varchar"
                    typed[c.name] = f"null::{contract.DUCKDB_TYPES[c.type]}"
                    continue
                col = f"s.{ident(c.name)}"
                text[c.name] = f"nullif(cast({col} as varchar), '')"
                typed[c.name] = typed_from_native(col, native[c.name], c.type)
            raw = (
                "to_json(struct_pack("
                + ", ".join(f"{ident(n)} := s.{ident(n)}" for n in native)
                + "))::varchar"
            )
            _insert_from_scan(
                con, entity, staged, scan, text, typed, {}, raw, "s.file_row_number + 1"
            )

        return insert

    for schema, group in groups.items():
        _read_groups(con, [group], staged, insert_group(schema))
