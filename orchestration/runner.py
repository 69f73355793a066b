"""`run_pipeline`: one in-process Dagster run of the whole pipeline, as `shopsight run` does it.

Holds the warehouse's writer lock for the whole run, finds the deliveries that are new or
re-delivered, and executes the `shopsight_run` job over their delivery-date range (or, with
nothing to ingest, dbt and publish only). Runs are recorded in a persistent Dagster instance
beside the warehouse (`<data dir>/.dagster`), so `dagster dev` shows their history.
"""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shopsight import warehouse as wh
from shopsight.ingest.layout import discover, unknown_folders
from shopsight.ingest.loader import pending
from shopsight.ingest.schema import ensure_schema
from shopsight.settings import Settings


class LandingZoneMissingError(RuntimeError):
    """The configured landing zone is not there: a typo or an unmounted volume, not "no data".
    Running anyway would rebuild and re-publish the old data as if all were well."""


@dataclass
class RunSummary:
    """What a run did: the CLI prints it, tests and the benchmark read it."""

    run_id: str
    success: bool
    published: bool = False
    stage_seconds: dict[str, float] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)  # loaded rows per entity this run
    deliveries: int = 0
    quarantined_rows: int = 0
    failed_deliveries: list[str] = field(default_factory=list)
    failed_checks: list[str] = field(default_factory=list)
    failed_steps: list[str] = field(default_factory=list)
    message: str = ""

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


# Dagster writes two events per (asset, partition) to its SQLite storage, each a few commits:
# fine for a day or a week, but a two-year backfill (15 x 731 partitions) would spend many
# minutes on bookkeeping alone. Runs over more delivery dates than this execute on an in-memory
# instance (orchestration/history.py, `backfill_instance`); Shopsight's own record of them
# (ops.runs, ops.deliveries, ops.check_results) is kept either way.
MAX_RECORDED_PARTITIONS = 14


def _no_fsync(dbapi_connection: Any, _record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("pragma synchronous = off")


def relax_history_durability() -> None:
    """Let the Dagster instance's SQLite files skip fsync.

    Dagster opens a new SQLite connection per event and commits it, and the last close of a WAL
    database checkpoints it: two fsyncs per event, ~800 events per run (every dbt test is an
    asset check, planned and then evaluated). On a busy disk that was half of a small run's
    time. Without fsync a crashed or killed process loses nothing (the data is in the OS cache);
    only a power loss could damage the run history, which is a convenience for `dagster dev`:
    Shopsight's own record (ops.runs, ops.deliveries, ops.check_results) lives in the
    warehouse, which DuckDB writes durably.
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    if not event.contains(Engine, "connect", _no_fsync):
        event.listen(Engine, "connect", _no_fsync)


def dagster_home(settings: Settings) -> Path:
    """The persistent Dagster instance's folder: beside the warehouse (`data/.dagster`)."""
    return settings.warehouse.parent / ".dagster"


def run_pipeline(
    settings: Settings,
    *,
    full_refresh: bool = False,
    progress: Callable[[str], None] = print,
    wait_seconds: float = 0.0,
) -> RunSummary:
    """Ingest what is new, gate it, dbt build, publish: one Dagster run, in this process.

    Raises `shopsight.warehouse.WarehouseBusyError` if another run holds the warehouse lock
    for longer than `wait_seconds`, and `LandingZoneMissingError` (before changing anything)
    if the landing zone does not exist. Any other exception is recorded in `ops.runs` (the run
    is marked failed with the error) and raised again.
    """
    if not settings.landing_dir.is_dir():
        raise LandingZoneMissingError(
            f"the landing zone {settings.landing_dir} does not exist; check "
            "SHOPSIGHT_LANDING_DIR (nothing was changed)"
        )
    settings.export()
    run_id = str(uuid.uuid4())
    started = time.perf_counter()
    with wh.writer_lock(settings.warehouse, wait_seconds=wait_seconds):
        # Retried: the dbt of a run killed a moment ago dies with it (orchestration/dbt_launcher)
        # but may still hold DuckDB's own file lock for that moment.
        with _connect_when_free(settings.warehouse) as con:
            ensure_schema(con)
            con.execute(
                "insert into ops.runs values (?, ?, null, 'running', null)",
                [run_id, datetime.now(UTC)],
            )
        # From here on the run has a row saying `running`: whatever goes wrong (a landing zone
        # that cannot be listed, a broken dbt project, a Dagster instance folder that is not a
        # folder, ...) must turn it into `failed` with the reason, not leave it running forever.
        try:
            summary = _execute(settings, run_id, full_refresh=full_refresh, progress=progress)
        except BaseException as exc:  # record the crash, then let it propagate
            _finish(settings.warehouse, RunSummary(run_id, False, message=_crash_text(exc)))
            raise
        summary.stage_seconds["total"] = time.perf_counter() - started
        _finish(settings.warehouse, summary)
    if summary.success:
        progress(f"[run] {run_id} succeeded in {summary.stage_seconds['total']:.1f} s")
    else:
        progress(f"[run] {run_id} FAILED: {summary.message}")
    return summary


def _execute(
    settings: Settings, run_id: str, *, full_refresh: bool, progress: Callable[[str], None]
) -> RunSummary:
    """Everything of a run after its `ops.runs` row exists: find the work, run the job."""
    from dagster import DagsterInstance

    from orchestration.build import build_definitions
    from orchestration.history import backfill_instance, ensure_instance_config
    from orchestration.jobs import RUN_JOB_NAME
    from orchestration.partitions import FULL_REFRESH_TAG, range_tags
    from orchestration.resources import Reporter

    with wh.connect(settings.warehouse) as con:
        found = discover(settings.landing_dir)
        todo = pending(con, found, full_refresh=full_refresh)
    for odd in unknown_folders(settings.landing_dir):
        progress(f"[ingest] ignoring {odd}: not a contract entity or dt= folder")

    reporter = Reporter(progress=progress)
    defs = build_definitions(settings, reporter)
    job = defs.resolve_job_def(RUN_JOB_NAME)
    graph = defs.resolve_asset_graph()
    tags: dict[str, str] = {}
    if full_refresh:
        tags[FULL_REFRESH_TAG] = "true"
    if todo:
        first = min(d.dt for d in todo).isoformat()
        last = max(d.dt for d in todo).isoformat()
        tags.update(range_tags(first, last))
        selection = list(graph.get_all_asset_keys())
    else:
        progress("[ingest] nothing new or re-delivered in the landing zone")
        selection = [k for k in graph.get_all_asset_keys() if k.path[0] != "raw"]

    days = (max(d.dt for d in todo) - min(d.dt for d in todo)).days + 1 if todo else 0
    if days > MAX_RECORDED_PARTITIONS:
        progress(
            f"[run] {days} delivery dates: a backfill, run on an in-memory Dagster instance "
            f"(history in ops.*; runs of up to {MAX_RECORDED_PARTITIONS} dates are kept in "
            f"{dagster_home(settings)})"
        )
        instance_cm = backfill_instance()
    else:
        home = dagster_home(settings)
        ensure_instance_config(home)
        relax_history_durability()
        instance_cm = DagsterInstance.from_config(str(home))
    with instance_cm as instance:
        result = job.execute_in_process(
            instance=instance,
            run_id=run_id,
            tags=tags,
            asset_selection=selection,
            raise_on_error=False,
            # Progress lines come from the reporter; Dagster's console log for trouble.
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
        )
        summary = _summarise(run_id, result, reporter)
    for stage in ("ingest", "checks", "dbt", "publish"):
        reporter.flush(stage)
    return summary


def _crash_text(exc: BaseException) -> str:
    """`crashed: <type>: <message>`: the type says what broke, and `str()` of an OSError names
    the file (its `repr()` does not)."""
    text = str(exc).strip()
    return f"crashed: {type(exc).__name__}" + (f": {text}" if text else "")


def _summarise(run_id: str, result: Any, reporter: Any) -> RunSummary:
    stages = reporter.stages
    summary = RunSummary(run_id=run_id, success=bool(result.success))
    for stage, figures in stages.items():
        if "seconds" in figures:
            summary.stage_seconds[stage] = float(figures["seconds"])
    summary.published = "publish" in stages
    for event in result.all_events:
        if event.event_type_value == "STEP_FAILURE":
            text = _error_text(event.event_specific_data.error)
            summary.failed_steps.append(f"{event.step_key}: {text}")
        if event.event_type_value == "ASSET_MATERIALIZATION":
            mat = event.event_specific_data.materialization
            if mat.asset_key.path[0] == "raw":
                meta = mat.metadata
                name = mat.asset_key.path[1]
                if name in summary.rows:
                    continue  # one materialization event per partition, same metadata
                summary.rows[name] = int(meta["loaded_rows"].value)
                summary.deliveries += int(meta["deliveries"].value)
                summary.quarantined_rows += int(meta["quarantined_rows"].value)
                for item in meta["failed_deliveries"].value or []:
                    summary.failed_deliveries.append(f"{name} dt={item['dt']}: {item['error']}")
    for evaluation in result.get_asset_check_evaluations():
        if not evaluation.passed and evaluation.severity.value == "ERROR":
            summary.failed_checks.append(
                f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"
            )
    problems = summary.failed_deliveries + summary.failed_checks + summary.failed_steps
    summary.message = "; ".join(problems[:10]) if problems else "ok"
    if summary.success and not summary.published:
        summary.success = False
        summary.message = "the run finished but did not publish"
    return summary


def _error_text(error: Any) -> str:
    """The innermost cause of a step failure, on one line (Dagster wraps user errors)."""
    while error is not None and getattr(error, "cause", None) is not None:
        error = error.cause
    if error is None:
        return "failed"
    lines = [line for line in error.message.strip().splitlines() if line.strip()]
    return " ".join(lines[:3])[:500] if lines else error.cls_name or "failed"


def _connect_when_free(warehouse: Path, seconds: float = 30.0) -> Any:
    """A connection, retried for a while: a step that failed may leave a child (dbt) that
    still holds the file for a moment."""
    import duckdb

    deadline = time.monotonic() + seconds
    while True:
        try:
            return wh.connect(warehouse)
        except duckdb.IOException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


def _finish(warehouse: Path, summary: RunSummary) -> None:
    from orchestration.assets.publish import mark_run

    with _connect_when_free(warehouse) as con:
        mark_run(
            con,
            summary.run_id,
            "succeeded" if summary.success else "failed",
            "published" if summary.success else summary.message[:2000],
        )
