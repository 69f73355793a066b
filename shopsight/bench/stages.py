"""The product's own stages, measured: simulate, and one pipeline run split into its stages.

A pipeline run is one Dagster run (`orchestration.runner.run_pipeline`), so its stages (ingest,
gates, dbt build, publish) run inside it. Their wall seconds come from the run's summary; their
peak memory is read off the bench's memory timeline over each stage's window, which the run's
Dagster event log gives (first step start to last step end of the stage's steps).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

from shopsight import warehouse as wh
from shopsight.bench.measure import PeakSampler, StageResult, Timer
from shopsight.settings import REPO_ROOT, Settings

# RunSummary.stage_seconds key -> the name the report prints.
PIPELINE_STAGES: dict[str, str] = {
    "ingest": "ingest",
    "checks": "gates",
    "dbt": "dbt build",
    "publish": "publish",
}


def simulate(
    timer: Timer, landing: Path, start: date, days: int, scale: float, seed: int
) -> StageResult:
    """Simulate a landing zone under `timer`; rows = every row written to landing files."""
    from shopsight.simulator import simulate as run_simulator

    with timer.stage("simulate") as result:
        truth = run_simulator(landing, start, days, scale, seed)
    result.rows = landing_rows(truth)
    result.detail["days"] = days
    return result


def landing_rows(truth: Any) -> int | None:
    """Total rows the simulator wrote, from its truth (`entities.<name>.rows`)."""
    entities = truth.get("entities") if isinstance(truth, dict) else None
    if not isinstance(entities, dict):
        return None
    return int(sum(int(e.get("rows", 0)) for e in entities.values() if isinstance(e, dict)))


def _stage_of_step(step_key: str) -> str | None:
    """Which pipeline stage a Dagster step belongs to (step keys are asset/check names)."""
    key = step_key.lower()
    if "publish" in key or "serving" in key:
        return "publish"
    if "dbt" in key:
        return "dbt"
    if any(word in key for word in ("expect", "check", "gx", "reconcil")):
        return "checks"
    if key.startswith("raw"):
        return "ingest"
    return None


def stage_windows(settings: Settings, run_id: str) -> dict[str, tuple[float, float]]:
    """(first step start, last step end) per pipeline stage, from the run's event log."""
    from dagster import DagsterInstance

    from orchestration.runner import dagster_home

    windows: dict[str, list[float]] = {}
    with DagsterInstance.from_config(str(dagster_home(settings))) as instance:
        for entry in instance.all_logs(run_id):
            if not entry.step_key or entry.dagster_event is None:
                continue
            stage = _stage_of_step(entry.step_key)
            if stage is None:
                continue
            windows.setdefault(stage, []).append(entry.timestamp)
    return {k: (min(v), max(v)) for k, v in windows.items()}


def table_rows(database: Path, schemas: tuple[str, ...]) -> int:
    """Rows in every table of `schemas` (a read-only look at a closed DuckDB file)."""
    with wh.connect(database, read_only=True) as con:
        tables = con.execute(
            "select schema_name, table_name from duckdb_tables() where schema_name in "
            f"({', '.join('?' for _ in schemas)})",
            list(schemas),
        ).fetchall()
        return sum(
            con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in tables
        )


def newest_run_results(since: float) -> dict[str, float]:
    """Seconds per dbt node from the newest `run_results.json` written after `since`.

    dagster-dbt gives each invocation its own target folder under the project's `target/`, so
    the newest file after the run started is this run's.
    """
    candidates = [
        p for p in (REPO_ROOT / "target").rglob("run_results.json") if p.stat().st_mtime >= since
    ]
    if not candidates:
        return {}
    newest = max(candidates, key=lambda p: p.stat().st_mtime)
    data = json.loads(newest.read_text())
    return {r["unique_id"]: float(r.get("execution_time") or 0.0) for r in data.get("results", [])}


def pipeline(
    timer: Timer,
    settings: Settings,
    name: str = "pipeline",
    *,
    progress: Any = None,
) -> tuple[Any, list[StageResult]]:
    """One measured pipeline run: its total and its stages (ingest, gates, dbt, publish).

    Returns the run's summary and the stage results (the total last). Rows: ingest and gates
    the rows loaded this run, dbt the rows of the raw tables it reads, publish the rows copied
    into the serving file.
    """
    import time

    from orchestration.runner import run_pipeline

    started_epoch = time.time()
    with timer.stage(name) as total:
        summary = run_pipeline(settings, progress=progress or timer.progress)
        sampler: PeakSampler | None = timer.sampler
    if not summary.success:
        raise RuntimeError(f"the pipeline run failed: {summary.message}")
    total.rows = summary.total_rows
    total.detail["run_id"] = summary.run_id

    try:
        windows = stage_windows(settings, summary.run_id)
    except Exception as exc:  # the event log is a nicety; the figures stand without it
        windows = {}
        total.detail["stage_window_error"] = str(exc)
    raw_rows = table_rows(settings.warehouse, ("raw",))
    served_rows = table_rows(settings.serving, ("marts", "ops"))
    rows = {
        "ingest": summary.total_rows,
        "checks": summary.total_rows,
        "dbt": raw_rows,
        "publish": served_rows,
    }
    results: list[StageResult] = []
    for key, label in PIPELINE_STAGES.items():
        if key not in summary.stage_seconds:
            continue
        peak = None
        if sampler is not None and key in windows:
            peak = sampler.peak_between(*windows[key])
        results.append(
            StageResult(
                name=label,
                seconds=summary.stage_seconds[key],
                rows=rows[key],
                peak_rss_bytes=peak,
            )
        )
    dbt_nodes = newest_run_results(started_epoch)
    if dbt_nodes and results:
        dbt_result = next((r for r in results if r.name == "dbt build"), None)
        if dbt_result is not None:
            dbt_result.detail["node_seconds"] = dict(
                sorted(dbt_nodes.items(), key=lambda kv: -kv[1])
            )
    measured = sum(r.seconds for r in results)
    results.append(
        StageResult(
            name="other (Dagster, start-up)",
            seconds=max(total.seconds - measured, 0.0),
        )
    )
    timer.results.remove(total)
    total.name = f"{name} total"
    results.append(total)
    return summary, results
