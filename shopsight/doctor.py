"""`shopsight doctor`: check the landing zone, the warehouse and the serving snapshot, and say in
plain words what is wrong and what to do about it.

It only reads. It takes the warehouse's writer lock for the few seconds it reads the warehouse,
because DuckDB refuses a writer while any other process has the file open: without the lock a
run starting during the check would fail on DuckDB's lock instead of waiting or refusing with
Shopsight's own message. If a run holds the lock, the warehouse checks are skipped and the
doctor says so.

Exit status: 0 when nothing is wrong (notes and warnings may still be printed), 1 when at least
one finding needs an operator (or any warning with `--strict`).
"""

from __future__ import annotations

import argparse
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    import duckdb

HELP = "Check the warehouse, the serving snapshot and the landing zone; say what is wrong."

Level = Literal["ok", "note", "warn", "fail"]
LEVELS: tuple[Level, ...] = ("ok", "note", "warn", "fail")
# Delivery folders this many days past today (in the business time zone) are a clock error.
FUTURE_TOLERANCE_DAYS = 1
# A dt folder without `_SUCCESS` this old is abandoned rather than still being written.
INCOMPLETE_GRACE = timedelta(hours=24)
TMP_SNAPSHOT = re.compile(r"^\..+\.tmp(\.wal)?$")


@dataclass(frozen=True)
class Finding:
    """One thing the doctor found, and what an operator does about it."""

    level: Level
    area: str  # landing | warehouse | serving
    message: str
    action: str = ""

    def render(self) -> str:
        tag = {"ok": "ok  ", "note": "note", "warn": "WARN", "fail": "FAIL"}[self.level]
        text = f"{tag} {self.area}: {self.message}"
        return text + (f"\n     -> {self.action}" if self.action else "")


@dataclass
class Report:
    findings: list[Finding]

    def worst(self) -> Level:
        return max((f.level for f in self.findings), key=LEVELS.index, default="ok")

    def exit_code(self, *, strict: bool = False) -> int:
        bad: set[Level] = {"fail", "warn"} if strict else {"fail"}
        return 1 if any(f.level in bad for f in self.findings) else 0

    def of(self, level: Level) -> list[Finding]:
        return [f for f in self.findings if f.level == level]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--landing", type=Path, help="landing root (default: settings)")
    parser.add_argument("--warehouse", type=Path, help="warehouse DuckDB file (default: settings)")
    parser.add_argument("--serving", type=Path, help="serving DuckDB file (default: settings)")
    parser.add_argument(
        "--strict", action="store_true", help="exit 1 on warnings too, not only on failures"
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="skip the full scan of every table (row checksums); check structure and counts",
    )


def run(args: argparse.Namespace) -> int:
    from shopsight import settings as settings_module

    if args.serving:
        os.environ["SHOPSIGHT_SERVING"] = str(args.serving.expanduser().resolve())
    settings = settings_module.load_with_overrides(args)
    report = diagnose(
        settings.landing_dir, settings.warehouse, settings.serving, full_scan=not args.quick
    )
    for finding in report.findings:
        print(finding.render())
    fails, warns = len(report.of("fail")), len(report.of("warn"))
    if fails:
        print(f"doctor: {fails} problem(s) need attention, {warns} warning(s)")
    elif warns:
        print(f"doctor: no problems, {warns} warning(s)")
    else:
        print("doctor: everything looks healthy")
    return report.exit_code(strict=args.strict)


def diagnose(landing: Path, warehouse: Path, serving: Path, *, full_scan: bool = True) -> Report:
    """Every finding about one deployment, landing zone first."""
    findings: list[Finding] = []
    findings += check_landing(landing)
    state = check_warehouse(warehouse, landing, serving, full_scan=full_scan)
    findings += state.findings
    findings += check_serving(serving, warehouse, state)
    return Report(findings)


def today_in_business_zone() -> date:
    from shopsight import contract

    return datetime.now(ZoneInfo(contract.BUSINESS_TIMEZONE)).date()


def plural(n: int, phrase: str) -> str:
    """`1 delivery`, `3 deliveries`: the phrase's last word in the plural when n != 1."""
    if n == 1:
        return f"{n:,} {phrase}"
    if phrase.endswith("y") and phrase[-2:-1] not in tuple("aeiou"):
        return f"{n:,} {phrase[:-1]}ies"
    return f"{n:,} {phrase}s"


def listing(items: Iterable[str], limit: int = 5) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


def _short(exc: BaseException) -> str:
    """An error on one line, without DuckDB's advice paragraphs."""
    text = str(exc).split("Possible fixes:")[0]
    return " ".join(text.split())[:300]


# --- landing zone ------------------------------------------------------------------------------


def check_landing(landing: Path) -> list[Finding]:
    """Is the landing zone there, are its deliveries readable, and is anything suspicious?"""
    from shopsight.ingest.layout import discover, unknown_folders

    if not landing.exists():
        return [
            Finding(
                "fail",
                "landing",
                f"the landing zone {landing} does not exist",
                "check that SHOPSIGHT_LANDING_DIR (or --landing) names the folder the source "
                "systems deliver into, or restore it; `shopsight run` refuses to start without "
                "it, so nothing is changed meanwhile",
            )
        ]
    if not landing.is_dir():
        return [Finding("fail", "landing", f"{landing} is not a folder", "point it at a folder")]
    out: list[Finding] = []
    out += _symlinks(landing)
    found = discover(landing)
    if not found:
        out.append(
            Finding(
                "warn",
                "landing",
                f"no complete delivery (a dt= folder with {_marker()}) under {landing}",
                "check the path; deliveries appear once a source system writes its files",
            )
        )
    today = today_in_business_zone()
    future = [d for d in found if d.dt > today + timedelta(days=FUTURE_TOLERANCE_DAYS)]
    if future:
        out.append(
            Finding(
                "fail",
                "landing",
                f"{plural(len(future), 'delivery')} dated in the future (today is {today}): "
                + listing(f"{d.entity} dt={d.dt}" for d in future)
                + "; the sending system's clock or date logic is wrong",
                "runs skip these folders; ask the sender to re-deliver under the right date and "
                "delete the wrongly dated folders",
            )
        )
    stray = [d for d in found if d.stray_files]
    if stray:
        out.append(
            Finding(
                "warn",
                "landing",
                f"{plural(len(stray), 'delivery')} hold files of the wrong format, which fails "
                "them: "
                + listing(f"{d.entity} dt={d.dt} ({d.stray_files[0].name})" for d in stray),
                "remove the stray files, then write _SUCCESS again to re-deliver",
            )
        )
    out += _incomplete(landing)
    odd = unknown_folders(landing)
    if odd:
        out.append(
            Finding(
                "warn",
                "landing",
                f"{plural(len(odd), 'folder')} that no contract entity claims (ignored by runs): "
                + listing(p.relative_to(landing).as_posix() for p in odd),
                "move them out of the landing zone, or fix their names (<source>/<entity>/"
                "dt=YYYY-MM-DD)",
            )
        )
    if found:
        entities = {d.entity for d in found}
        out.append(
            Finding(
                "ok",
                "landing",
                f"{plural(len(found), 'complete delivery')} of {plural(len(entities), 'entity')}"
                f", dt {min(d.dt for d in found)}..{max(d.dt for d in found)}",
            )
        )
    return out


def _marker() -> str:
    from shopsight import contract

    return contract.SUCCESS_MARKER


def _symlinks(landing: Path) -> list[Finding]:
    """Symbolic links: ingestion never follows one out of the landing zone."""
    root = landing.resolve()
    outside: list[str] = []
    inside: list[str] = []
    for dirpath, dirnames, filenames in os.walk(landing):
        for name in dirnames + filenames:
            path = Path(dirpath) / name
            if not path.is_symlink():
                continue
            target = path.resolve()
            rel = path.relative_to(landing).as_posix()
            if target == root or root in target.parents:
                inside.append(rel)
            else:
                outside.append(f"{rel} -> {target}")
    out: list[Finding] = []
    if outside:
        out.append(
            Finding(
                "fail",
                "landing",
                f"{plural(len(outside), 'symbolic link')} pointing outside the landing zone: "
                + listing(outside),
                "ingestion refuses them (their delivery fails); replace each link with the real "
                "file, or remove it, then write _SUCCESS again",
            )
        )
    if inside:
        out.append(
            Finding(
                "warn",
                "landing",
                f"{plural(len(inside), 'symbolic link')} inside the landing zone: "
                + listing(inside),
                "deliveries should be real files; ingestion refuses links",
            )
        )
    return out


def _incomplete(landing: Path) -> list[Finding]:
    """dt= folders of known entities without `_SUCCESS`: still being written, or abandoned."""
    from shopsight import contract
    from shopsight.ingest.layout import DT_FOLDER

    young: list[str] = []
    old: list[str] = []
    now = datetime.now().timestamp()
    for e in contract.ENTITIES:
        base = landing / e.source / e.name
        if not base.is_dir():
            continue
        for folder in sorted(base.iterdir()):
            if not DT_FOLDER.match(folder.name) or not folder.is_dir():
                continue
            if (folder / contract.SUCCESS_MARKER).exists():
                continue
            age = now - folder.stat().st_mtime
            rel = folder.relative_to(landing).as_posix()
            (old if age > INCOMPLETE_GRACE.total_seconds() else young).append(rel)
    out: list[Finding] = []
    if young:
        out.append(
            Finding(
                "note",
                "landing",
                f"{plural(len(young), 'delivery folder')} without {contract.SUCCESS_MARKER} yet "
                "(probably still being written): " + listing(young),
            )
        )
    if old:
        out.append(
            Finding(
                "warn",
                "landing",
                f"{plural(len(old), 'delivery folder')} without {contract.SUCCESS_MARKER} for "
                "more than a day (never loaded): " + listing(old),
                "ask the sender to finish the delivery (write _SUCCESS) or remove the folder",
            )
        )
    return out


# --- warehouse ---------------------------------------------------------------------------------

REQUIRED_OPS = ("deliveries", "runs", "check_results")


@dataclass
class WarehouseState:
    """What the serving checks need to know about the warehouse."""

    findings: list[Finding]
    inspected: bool = False
    runs: dict[str, tuple[str, datetime | None]] | None = None  # run_id -> (status, started)
    latest_succeeded: str | None = None
    marts: frozenset[str] = frozenset()


def check_warehouse(
    warehouse: Path, landing: Path, serving: Path, *, full_scan: bool = True
) -> WarehouseState:
    from shopsight import warehouse as wh

    if not warehouse.exists():
        if serving.exists():
            finding = Finding(
                "fail",
                "warehouse",
                f"there is no warehouse at {warehouse}, but a serving snapshot exists at "
                f"{serving}: the warehouse was deleted or moved, or SHOPSIGHT_WAREHOUSE points "
                "at the wrong file",
                "restore the file from a backup, or run `shopsight run`: it builds a new "
                "warehouse from every delivery in the landing zone and publishes it (the "
                "dashboard keeps showing the old snapshot until then)",
            )
        else:
            finding = Finding(
                "note", "warehouse", f"nothing built yet at {warehouse}", "run `shopsight run`"
            )
        return WarehouseState([finding])
    try:
        with wh.writer_lock(warehouse, wait_seconds=0):
            return _inspect_warehouse(warehouse, landing, full_scan=full_scan)
    except wh.WarehouseBusyError as exc:
        return WarehouseState(
            [
                Finding(
                    "warn",
                    "warehouse",
                    f"a pipeline run is writing the warehouse right now ({exc}); its checks "
                    "were skipped",
                    "run `shopsight doctor` again when the run has finished",
                )
            ]
        )


def _inspect_warehouse(warehouse: Path, landing: Path, *, full_scan: bool) -> WarehouseState:
    import duckdb

    from shopsight import warehouse as wh

    try:
        con = wh.connect(warehouse, read_only=True)
    except duckdb.Error as exc:
        return WarehouseState(
            [
                Finding(
                    "fail",
                    "warehouse",
                    f"{warehouse} cannot be opened as a DuckDB database ({_short(exc)}): the "
                    "file is damaged, cut short, or not a warehouse",
                    "move it aside (keep it for analysis), then restore the last backup or run "
                    "`shopsight run` to rebuild it from the landing zone",
                )
            ]
        )
    with con:
        return _inspect_open(con, warehouse, landing, full_scan=full_scan)


def _inspect_open(
    con: duckdb.DuckDBPyConnection, warehouse: Path, landing: Path, *, full_scan: bool
) -> WarehouseState:

    from shopsight import contract

    state = WarehouseState([])
    out = state.findings
    tables = {
        (s, t)
        for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = current_database()"
        ).fetchall()
    }
    required = [("raw", e.name) for e in contract.ENTITIES] + [("raw", "quarantine")]
    required += [("ops", name) for name in REQUIRED_OPS]
    missing = [f"{s}.{t}" for s, t in required if (s, t) not in tables]
    if missing:
        out.append(
            Finding(
                "fail",
                "warehouse",
                f"{warehouse} lacks Shopsight's tables {listing(missing)}: it is not a Shopsight "
                "warehouse, or it was never loaded",
                "check SHOPSIGHT_WAREHOUSE; `shopsight run` creates missing tables and loads "
                "every delivery",
            )
        )
        return state
    if full_scan:
        unreadable = _scan_tables(con, sorted(tables))
        if unreadable:
            out.append(
                Finding(
                    "fail",
                    "warehouse",
                    "tables that cannot be read back: " + listing(unreadable, 3),
                    "the file is damaged: restore the last backup, or move it aside and run "
                    "`shopsight run` to rebuild it from the landing zone",
                )
            )
            return state
    out += _bookkeeping(con)
    out += _runs(con, state)
    state.marts = frozenset(t for s, t in tables if s == "marts")
    if landing.is_dir():
        out += _against_landing(con, landing)
    state.inspected = True
    if not any(f.level == "fail" for f in out):
        deliveries = con.execute("select count(*) from ops.deliveries").fetchone()
        n = int(deliveries[0]) if deliveries else 0
        out.append(
            Finding(
                "ok",
                "warehouse",
                f"{warehouse} opens, {len(tables)} tables"
                + (" read back in full" if full_scan else "")
                + f", {plural(n, 'delivery')} recorded and consistent with the raw tables",
            )
        )
    return state


def _scan_tables(con: duckdb.DuckDBPyConnection, tables: list[tuple[str, str]]) -> list[str]:
    """Read every row of every table (DuckDB verifies each block's checksum on read)."""
    import duckdb

    from shopsight.ingest.sqltext import ident

    bad: list[str] = []
    for schema, table in tables:
        try:
            con.execute(
                f"select count(*), sum(hash(t)) from {ident(schema)}.{ident(table)} as t"
            ).fetchone()
        except duckdb.Error as exc:
            bad.append(f"{schema}.{table} ({_short(exc)})")
    return bad


def _bookkeeping(con: duckdb.DuckDBPyConnection) -> list[Finding]:
    """`ops.deliveries` against the rows really in `raw`: nothing half-loaded or doubled."""

    from shopsight import contract
    from shopsight.ingest.sqltext import ident, lit

    out: list[Finding] = []
    doubled = con.execute(
        "select entity, dt, count(*) from ops.deliveries group by all having count(*) > 1 "
        "order by 1, 2"
    ).fetchall()
    if doubled:
        out.append(
            Finding(
                "fail",
                "warehouse",
                "deliveries recorded more than once in ops.deliveries: "
                + listing(f"{e} dt={dt} ({n}x)" for e, dt, n in doubled),
                "run `shopsight backfill --from D --to D` over those dates to reload them",
            )
        )
    wrong: list[str] = []
    for e in contract.ENTITIES:
        rows = con.execute(
            f"""
            with d as (
                select dt, loaded_rows, quarantined_rows, landed_rows, duplicate_rows
                from ops.deliveries where entity = {lit(e.name)} and status = 'loaded'
            ),
            r as (select _dt as dt, count(*) as n from raw.{ident(e.name)} group by 1),
            q as (select dt, count(*) as n from raw.quarantine
                  where entity = {lit(e.name)} group by 1)
            select coalesce(d.dt, r.dt, q.dt) as dt, d.loaded_rows, coalesce(r.n, 0),
                   d.quarantined_rows, coalesce(q.n, 0),
                   d.landed_rows = d.loaded_rows + d.quarantined_rows + d.duplicate_rows
            from d
            full join r on r.dt = d.dt
            full join q on q.dt = coalesce(d.dt, r.dt)
            where d.dt is null or d.loaded_rows <> coalesce(r.n, 0)
               or d.quarantined_rows <> coalesce(q.n, 0)
               or d.landed_rows <> d.loaded_rows + d.quarantined_rows + d.duplicate_rows
            order by 1
            """
        ).fetchall()
        failed_dts = {
            r[0]
            for r in con.execute(
                "select dt from ops.deliveries where entity = ? and status = 'failed'", [e.name]
            ).fetchall()
        }
        for dt, recorded, actual, q_recorded, q_actual, reconciles in rows:
            if recorded is None:
                if dt in failed_dts and not actual and not q_actual:
                    continue
                wrong.append(
                    f"{e.name} dt={dt}: {actual} rows and {q_actual} quarantined rows but no "
                    "loaded delivery recorded"
                )
            elif recorded != actual or q_recorded != q_actual:
                wrong.append(
                    f"{e.name} dt={dt}: ops.deliveries says {recorded} loaded and {q_recorded} "
                    f"quarantined, raw holds {actual} and {q_actual}"
                )
            elif not reconciles:
                wrong.append(f"{e.name} dt={dt}: landed <> loaded + quarantined + duplicates")
    if wrong:
        out.append(
            Finding(
                "fail",
                "warehouse",
                f"{plural(len(wrong), 'delivery')} whose rows disagree with their bookkeeping "
                "(half-loaded or loaded twice): " + listing(wrong, 3),
                "reload those dates with `shopsight backfill --from D --to D`",
            )
        )
    failed = con.execute(
        "select entity, dt, error from ops.deliveries where status = 'failed' order by dt, entity"
    ).fetchall()
    if failed:
        out.append(
            Finding(
                "warn",
                "warehouse",
                f"{plural(len(failed), 'delivery')} failed to load and are not in the warehouse: "
                + listing((f"{e} dt={dt}: {err}" for e, dt, err in failed), 3),
                "fix or re-send the file(s) and write _SUCCESS again (the next run reloads the "
                "delivery), or reload the dates with `shopsight backfill --from D --to D`",
            )
        )
    return out


def _runs(con: duckdb.DuckDBPyConnection, state: WarehouseState) -> list[Finding]:

    out: list[Finding] = []
    rows = con.execute(
        "select run_id, status, started_at, message from ops.runs order by started_at"
    ).fetchall()
    state.runs = {r[0]: (r[1], r[2]) for r in rows}
    succeeded = [r for r in rows if r[1] == "succeeded"]
    state.latest_succeeded = succeeded[-1][0] if succeeded else None
    # We hold the writer lock, so a run still marked 'running' is not running: it died.
    dead = [r for r in rows if r[1] == "running"]
    if dead:
        out.append(
            Finding(
                "warn",
                "warehouse",
                f"{plural(len(dead), 'run')} never finished (killed or crashed): "
                + listing(f"{r[0][:8]} started {r[2]:%Y-%m-%d %H:%M}" for r in dead)
                + ". Each load step is one transaction, so nothing is half-loaded, and the "
                "dashboard still shows the last published snapshot",
                "run `shopsight run` to finish the work (it is safe to repeat)",
            )
        )
    finished = [r for r in rows if r[1] not in ("running", "interrupted")]
    if finished and finished[-1][1] != "succeeded":
        run_id, status, started, message = finished[-1]
        out.append(
            Finding(
                "warn",
                "warehouse",
                f"the last run ({run_id[:8]}, {started:%Y-%m-%d %H:%M}) {status}: {message}",
                "read its output (`shopsight run`), fix the cause and run again; the dashboard "
                "shows the last snapshot that passed every gate",
            )
        )
    return out


def _against_landing(con: duckdb.DuckDBPyConnection, landing: Path) -> list[Finding]:
    """Deliveries waiting for the next run, and loaded ones that left the landing zone."""

    from shopsight.ingest.layout import discover

    recorded = {
        (entity, dt): int(us)
        for entity, dt, us in con.execute(
            "select entity, dt, epoch_us(success_mtime) from ops.deliveries"
        ).fetchall()
    }
    found = discover(landing)
    waiting = [d for d in found if recorded.get((d.entity, d.dt), -1) < d.success_mtime_us]
    out: list[Finding] = []
    if waiting:
        out.append(
            Finding(
                "note",
                "landing",
                f"{plural(len(waiting), 'delivery')} new or re-delivered since the last load "
                f"(dt {min(d.dt for d in waiting)}..{max(d.dt for d in waiting)}): the next "
                "run loads them",
            )
        )
    present = {(d.entity, d.dt) for d in found}
    gone = sorted(k for k in recorded if k not in present)
    if gone:
        out.append(
            Finding(
                "warn",
                "landing",
                f"{plural(len(gone), 'loaded delivery')} no longer in the landing zone (their "
                "rows stay in the warehouse): " + listing(f"{e} dt={dt}" for e, dt in gone),
                "restore the folders if they were removed by mistake; a backfill over those "
                "dates keeps their rows as they are",
            )
        )
    return out


# --- serving snapshot --------------------------------------------------------------------------


def check_serving(serving: Path, warehouse: Path, state: WarehouseState) -> list[Finding]:
    """Is the dashboard's file a complete snapshot of a run the warehouse knows succeeded?"""
    import duckdb

    out: list[Finding] = []
    leftovers = (
        sorted(
            p.name for p in serving.parent.glob(f".{serving.name}.*") if TMP_SNAPSHOT.match(p.name)
        )
        if serving.parent.is_dir()
        else []
    )
    if leftovers:
        out.append(
            Finding(
                "warn",
                "serving",
                f"{plural(len(leftovers), 'unfinished snapshot file')} left by an interrupted "
                "publish (never shown to anyone): " + listing(leftovers),
                "the next publish removes them; they are also safe to delete by hand",
            )
        )
    if not serving.exists():
        if state.latest_succeeded:
            out.append(
                Finding(
                    "fail",
                    "serving",
                    f"no serving snapshot at {serving}, although run {state.latest_succeeded[:8]}"
                    " published one: it was deleted, or SHOPSIGHT_SERVING points elsewhere; the "
                    "dashboard shows 'no data'",
                    "run `shopsight run` to publish again (it rebuilds the marts and publishes "
                    "even when nothing new was delivered)",
                )
            )
        else:
            out.append(Finding("note", "serving", f"nothing published yet at {serving}"))
        return out
    try:
        con = duckdb.connect(":memory:")
        escaped = str(serving).replace("'", "''")
        con.execute(f"attach '{escaped}' as snap (read_only)")
    except duckdb.Error as exc:
        out.append(
            Finding(
                "fail",
                "serving",
                f"{serving} cannot be opened ({_short(exc)}): it is damaged or not a snapshot",
                "delete it and run `shopsight run` to publish again; the dashboard shows 'no "
                "data' until then",
            )
        )
        return out
    with con:
        out += _snapshot_contents(con, serving, state)
    return out


def _snapshot_contents(
    con: duckdb.DuckDBPyConnection, serving: Path, state: WarehouseState
) -> list[Finding]:
    import duckdb

    tables = {
        (s, t)
        for s, t in con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'snap'"
        ).fetchall()
    }
    marts = {t for s, t in tables if s == "marts"}
    if ("ops", "publish_info") not in tables or not marts:
        return [
            Finding(
                "fail",
                "serving",
                f"{serving} is not a complete snapshot (no ops.publish_info or no marts)",
                "run `shopsight run` to publish a complete one",
            )
        ]
    try:
        info = con.execute(
            "select run_id, published_at, data_from, data_through from snap.ops.publish_info"
        ).fetchall()
    except duckdb.Error as exc:
        info = []
        error = _short(exc)
    else:
        error = f"{len(info)} rows in ops.publish_info"
    if len(info) != 1:
        return [
            Finding(
                "fail",
                "serving",
                f"{serving} has no valid publish record ({error})",
                "run `shopsight run` to publish again",
            )
        ]
    run_id, published_at, data_from, data_through = info[0]
    out: list[Finding] = []
    if state.inspected and state.runs is not None:
        known = state.runs.get(run_id)
        if known is None:
            out.append(
                Finding(
                    "fail",
                    "serving",
                    f"the snapshot was published by run {run_id[:8]} "
                    f"({published_at:%Y-%m-%d %H:%M}), which the warehouse has no record of: "
                    "the warehouse was replaced "
                    "by an older copy, or belongs to another deployment",
                    "if an older backup was restored on purpose, run `shopsight run`: it "
                    "reloads every delivery the copy lacks (their _SUCCESS is newer than what "
                    "the copy recorded) and publishes again; otherwise point "
                    "SHOPSIGHT_WAREHOUSE at the right file",
                )
            )
        elif known[0] != "succeeded":
            out.append(
                Finding(
                    "fail",
                    "serving",
                    f"the snapshot was published by run {run_id[:8]}, which the warehouse "
                    f"records as {known[0]}",
                    "run `shopsight run` to publish a snapshot of a run that passed every gate",
                )
            )
        elif state.latest_succeeded and state.latest_succeeded != run_id:
            newer = state.runs[state.latest_succeeded]
            started = known[1]
            if newer[1] is not None and started is not None and newer[1] > started:
                out.append(
                    Finding(
                        "warn",
                        "serving",
                        f"the dashboard shows run {run_id[:8]}, but the newer run "
                        f"{state.latest_succeeded[:8]} succeeded since: the snapshot was "
                        "replaced by an older file",
                        "run `shopsight run` to publish the current data again",
                    )
                )
        missing = sorted(state.marts - marts)
        if missing:
            out.append(
                Finding(
                    "warn",
                    "serving",
                    "marts built in the warehouse but absent from the snapshot: "
                    + listing(missing),
                    "run `shopsight run` to publish them",
                )
            )
    if not any(f.level == "fail" for f in out):
        out.append(
            Finding(
                "ok",
                "serving",
                f"snapshot of run {run_id[:8]} published {published_at:%Y-%m-%d %H:%M}, data "
                f"{data_from}..{data_through}, {plural(len(marts), 'mart')}",
            )
        )
    return out
