"""Latency of the dashboard's queries on a published snapshot, cold and warm.

The SQL is not copied here: every query function of `apps/queries.py` is called once (its
undecorated body, `__wrapped__`, so Streamlit's cache is not involved) on a snapshot whose
connection records each statement and its parameters. The recorded statements are then timed:
- cold: each run opens the serving file afresh (a new DuckDB instance attaching it read-only,
  as the app does for a new snapshot) and runs the statement once;
- warm: one open connection, one untimed run, then the timed runs (DuckDB's buffers hot).
Both include fetching the result into a DataFrame, as the app does. The operating system's
file cache is warm in both (the bench does not drop machine-wide caches).

Arguments are chosen as a page would on first load by an executive: the whole data range,
daily grain, the first breakdown, the first experiment; brand-scoped queries run unscoped and
scoped to one brand.
"""

from __future__ import annotations

import inspect
import logging
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import duckdb

from shopsight.settings import REPO_ROOT

APPS_DIR = REPO_ROOT / "apps"
CALL_RE = re.compile(r"\bqueries\.(\w+)\(|\bq\.(\w+)\(")


@dataclass
class Recorded:
    function: str
    variant: str
    sql: str
    params: list[Any]


class _RecordingCursor:
    def __init__(self, cursor: duckdb.DuckDBPyConnection, log: list[tuple[str, list[Any]]]):
        self._cursor = cursor
        self._log = log

    def execute(self, sql: str, params: Any = None) -> Any:
        if not sql.strip().lower().startswith("use "):
            self._log.append((sql, list(params or [])))
        return self._cursor.execute(sql, params or [])

    def __getattr__(self, name: str) -> Any:
        return getattr(self._cursor, name)


class _RecordingConnection:
    """Stands in for the snapshot's DuckDB connection and logs every statement."""

    def __init__(self, conn: duckdb.DuckDBPyConnection) -> None:
        self.conn = conn
        self.log: list[tuple[str, list[Any]]] = []

    def cursor(self) -> _RecordingCursor:
        return _RecordingCursor(self.conn.cursor(), self.log)


def _open(serving: Path) -> duckdb.DuckDBPyConnection:
    """A fresh DuckDB instance attaching the snapshot read-only, like `apps.snapshot`."""
    from apps.snapshot import ALIAS

    conn = duckdb.connect(":memory:")
    conn.execute("set TimeZone = 'UTC'")
    conn.execute(f"attach '{serving.as_posix()}' as {ALIAS} (read_only)")
    conn.execute(f"use {ALIAS}")
    return conn


def pages_of_functions() -> dict[str, list[str]]:
    """Query function -> the page files that call it (scanned from `apps/`)."""
    out: dict[str, list[str]] = {}
    for path in sorted(APPS_DIR.rglob("*.py")):
        if path.name == "queries.py":
            continue
        for match in CALL_RE.finditer(path.read_text()):
            name = match.group(1) or match.group(2)
            page = path.stem
            if page not in out.setdefault(name, []):
                out[name].append(page)
    return out


def _quiet_streamlit() -> None:
    """Outside a Streamlit server every cached query warns "No runtime found". Streamlit gives
    each of its loggers its own level when it creates it, so the parent's level is not enough:
    silence each one that exists once the app's modules are imported."""
    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)


def query_functions() -> dict[str, Callable[..., Any]]:
    """Every public query function of `apps.queries`, undecorated."""
    import streamlit  # noqa: F401  (creates Streamlit's loggers, to be silenced first)

    _quiet_streamlit()
    from apps import queries

    out: dict[str, Callable[..., Any]] = {}
    for name, obj in vars(queries).items():
        if name.startswith("_"):
            continue
        body = getattr(obj, "__wrapped__", None)
        if body is not None and getattr(body, "__module__", "") == queries.__name__:
            out[name] = body
    return out


def _argument_sets(
    fn: Callable[..., Any], snap: Any, ctx: dict[str, Any]
) -> list[tuple[str, dict[str, Any]]]:
    """Keyword arguments for one call per variant (unscoped / one brand) of `fn`."""
    from apps import queries
    from apps.access import BrandScope

    params = list(inspect.signature(fn).parameters.values())[1:]  # after the snapshot
    kwargs: dict[str, Any] = {}
    for p in params:
        name = p.name
        if name == "scope":
            continue
        if name == "start":
            kwargs[name] = ctx["start"]
        elif name == "end":
            kwargs[name] = ctx["end"]
        elif name == "grain":
            kwargs[name] = next(iter(queries.GRAINS))
        elif name == "by":
            kwargs[name] = next(iter(queries.CONTENT_BREAKDOWNS))
        elif name == "period_type":
            kwargs[name] = "week"
        elif name == "experiment_id":
            kwargs[name] = ctx["experiment_id"]
        elif name in ("brand_id", "brand"):
            kwargs[name] = ctx["brand_id"]
        elif name == "limit":
            kwargs[name] = p.default if p.default is not inspect.Parameter.empty else 20
        elif p.default is not inspect.Parameter.empty:
            continue
        else:
            raise ValueError(
                f"shopsight bench does not know what to pass as {fn.__name__}({name}=...); "
                "teach shopsight/bench/dashboard.py"
            )
    if any(p.name == "scope" for p in params):
        return [
            ("all brands", {**kwargs, "scope": BrandScope(None, None)}),
            ("one brand", {**kwargs, "scope": BrandScope((ctx["brand_id"],), None)}),
        ]
    return [("", kwargs)]


def record(serving: Path) -> list[Recorded]:
    """Call every query function once per variant; return the statements they ran."""
    from apps.snapshot import Snapshot

    conn = _open(serving)
    recorder = _RecordingConnection(conn)
    snap = Snapshot(path=serving, version="bench", conn=recorder)  # type: ignore[arg-type]
    bounds = conn.execute("select min(date), max(date) from marts.kpi_overview_daily").fetchone()
    ctx = {
        "start": bounds[0] or date(2015, 1, 1),
        "end": bounds[1] or date(2015, 12, 31),
        "experiment_id": (
            conn.execute("select min(experiment_id) from marts.kpi_experiment_results").fetchone()[
                0
            ]
        ),
        "brand_id": conn.execute("select min(brand_id) from marts.dim_brands").fetchone()[0],
    }
    out: list[Recorded] = []
    for name, fn in query_functions().items():
        for variant, kwargs in _argument_sets(fn, snap, ctx):
            before = len(recorder.log)
            fn(snap, **kwargs)
            for sql, params in recorder.log[before:]:
                out.append(Recorded(name, variant, sql, params))
    conn.close()
    return out


def _percentile(values: list[float], q: float) -> float:
    """Continuous percentile (linear interpolation), as the KPI catalogue defines them."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _time_ms(conn: duckdb.DuckDBPyConnection, sql: str, params: list[Any]) -> float:
    t0 = time.perf_counter()
    conn.execute(sql, params).df()
    return (time.perf_counter() - t0) * 1000.0


def measure(
    serving: Path, *, runs: int = 20, progress: Callable[[str], None] = print
) -> list[dict[str, Any]]:
    """Cold and warm latency percentiles of every recorded statement, one dict per statement."""
    pages = pages_of_functions()
    recorded = record(serving)
    progress(f"[bench] dashboard: {len(recorded)} statements, {runs} cold + {runs} warm runs each")
    out: list[dict[str, Any]] = []
    open_ms: list[float] = []
    for rec in recorded:
        cold: list[float] = []
        for _ in range(runs):
            t0 = time.perf_counter()
            conn = _open(serving)
            open_ms.append((time.perf_counter() - t0) * 1000.0)
            try:
                cold.append(_time_ms(conn, rec.sql, rec.params))
            finally:
                conn.close()
        conn = _open(serving)
        try:
            _time_ms(conn, rec.sql, rec.params)
            warm = [_time_ms(conn, rec.sql, rec.params) for _ in range(runs)]
        finally:
            conn.close()
        out.append(
            {
                "page": ",".join(pages.get(rec.function, ["(no page)"])),
                "query": rec.function + (f" [{rec.variant}]" if rec.variant else ""),
                "runs": runs,
                "cold_p50_ms": round(statistics.median(cold), 2),
                "cold_p95_ms": round(_percentile(cold, 0.95), 2),
                "warm_p50_ms": round(statistics.median(warm), 2),
                "warm_p95_ms": round(_percentile(warm, 0.95), 2),
            }
        )
    if open_ms:
        out.append(
            {
                "page": "(all)",
                "query": "open snapshot (attach read-only)",
                "runs": len(open_ms),
                "cold_p50_ms": round(statistics.median(open_ms), 2),
                "cold_p95_ms": round(_percentile(open_ms, 0.95), 2),
                "warm_p50_ms": None,
                "warm_p95_ms": None,
            }
        )
    return sorted(out, key=lambda q: (q["page"], q["query"]))
