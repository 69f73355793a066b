"""Dagster resources: where the files are, and who hears about progress.

Paths come from `shopsight.settings` (one set of environment variables for the CLI, dbt and
Dagster); the runner builds the resources from the `Settings` it was given, so tests can point
a run at temporary folders.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
from dagster import ConfigurableResource

from shopsight import warehouse as wh
from shopsight.settings import Settings

# How long an asset waits for the warehouse lock when a run was started without `shopsight run`
# (e.g. by the sensor in `dagster dev`) while another writer is busy.
LOCK_WAIT_SECONDS = 600.0


class ShopsightPaths(ConfigurableResource):
    """The deployment's paths, as strings so that Dagster can show and configure them."""

    landing_dir: str
    warehouse: str
    serving: str
    validations_dir: str

    @classmethod
    def from_settings(cls, settings: Settings) -> ShopsightPaths:
        return cls(
            landing_dir=str(settings.landing_dir),
            warehouse=str(settings.warehouse),
            serving=str(settings.serving),
            validations_dir=str(settings.validations_dir),
        )

    @property
    def landing(self) -> Path:
        return Path(self.landing_dir)

    @property
    def warehouse_path(self) -> Path:
        return Path(self.warehouse)

    @contextmanager
    def writer(self) -> Any:
        """The writer lock (re-entrant: `shopsight run` already holds it) and a short
        connection, closed before anyone else (dbt) needs the file."""
        with (
            wh.writer_lock(self.warehouse_path, wait_seconds=LOCK_WAIT_SECONDS),
            wh.connect(self.warehouse_path) as con,
        ):
            yield con

    def reader(self) -> duckdb.DuckDBPyConnection:
        return wh.connect(self.warehouse_path)


@dataclass
class Reporter:
    """Collects per-stage figures during a run and prints one line per stage.

    Assets report into it; the first step of a later stage flushes the earlier stage's line, so
    lines appear while the run goes on. A hardcoded (in-process) resource.
    """

    progress: Callable[[str], None] = print
    stages: dict[str, dict[str, Any]] = field(default_factory=dict)
    printed: list[str] = field(default_factory=list)

    def add(self, stage: str, **figures: Any) -> None:
        agg = self.stages.setdefault(stage, {})
        for k, v in figures.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                agg[k] = agg.get(k, 0) + v
            elif isinstance(v, list):
                agg.setdefault(k, []).extend(v)
            else:
                agg[k] = v

    def flush(self, *stages: str) -> None:
        for stage in stages:
            if stage in self.stages and stage not in self.printed:
                self.printed.append(stage)
                self.progress(format_stage(stage, self.stages[stage]))


def format_stage(stage: str, f: dict[str, Any]) -> str:
    """One progress line, e.g. `[ingest] 15 entities, 5,475 deliveries, 123,456 rows in 9.3 s`."""
    secs = f.get("seconds", 0.0)
    if stage == "ingest":
        extra = ""
        if f.get("quarantined"):
            extra += f", {f['quarantined']:,} quarantined"
        if f.get("failed"):
            extra += f", {f['failed']:,} failed deliveries"
        return (
            f"[ingest] {len(set(f.get('entities', []))):,} entities, {f.get('deliveries', 0):,} "
            f"deliveries, {f.get('rows', 0):,} rows{extra} in {secs:.1f} s"
        )
    if stage == "checks":
        failed = f.get("failed_checks", [])
        tail = f"; failed: {', '.join(failed)}" if failed else ""
        return f"[checks] {f.get('checks', 0):,} checks, {len(failed)} failed in {secs:.1f} s{tail}"
    if stage == "dbt":
        return (
            f"[dbt] {f.get('models', 0):,} models, {f.get('tests', 0):,} tests"
            f"{', ' + str(f['failures']) + ' failed' if f.get('failures') else ''} in {secs:.1f} s"
        )
    if stage == "publish":
        return f"[publish] {f.get('tables', 0)} tables to {f.get('path', '?')} in {secs:.1f} s"
    return f"[{stage}] " + ", ".join(f"{k}={v}" for k, v in f.items())
