"""Costs that do not depend on data: process start, dbt parse, Dagster start, a near-empty run.

Each is measured in a fresh child process (or on a one-day world at the smallest scale) so that
nothing cached by the benchmark's own process flatters it. The near-empty run is what every
pipeline run pays before touching data; the report subtracts it when comparing the pipeline
with the lower bound.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from datetime import date
from pathlib import Path

from shopsight.bench.measure import StageResult, Timer
from shopsight.settings import REPO_ROOT, Settings

PYTHON = sys.executable
TINY_SCALE = 0.01
TINY_DAYS = 1


def _timed_subprocess(
    timer: Timer, name: str, argv: list[str], env: dict[str, str] | None = None
) -> StageResult:
    with timer.stage(name) as result:
        proc = subprocess.run(
            argv, cwd=REPO_ROOT, capture_output=True, text=True, check=False, env=env
        )
    if proc.returncode != 0:
        raise RuntimeError(
            f"{name} failed ({' '.join(argv)}):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}"
        )
    return result


def measure(timer: Timer, workdir: Path, start: date, seed: int) -> list[StageResult]:
    """Every fixed overhead, in a fresh process each; returns the results in report order."""
    results = [
        _timed_subprocess(timer, "python start", [PYTHON, "-c", "pass"]),
        _timed_subprocess(timer, "shopsight --help", [PYTHON, "-m", "shopsight.cli", "--help"]),
    ]
    dbt = str(Path(PYTHON).parent / "dbt")
    with tempfile.TemporaryDirectory(prefix="bench-dbt-") as target:
        # A private target folder: the pipeline's own manifest must not be touched.
        results.append(
            _timed_subprocess(
                timer,
                "dbt parse",
                [dbt, "parse", "--no-partial-parse", "--quiet", "--target-path", target],
            )
        )
    tiny = workdir / "tiny"
    env = {**os.environ, **_tiny_env(tiny)}
    # A script file, not `python -c`: pyspark (imported by Great Expectations) exits a process
    # whose __main__ has neither a spec nor a file, taking it for a doctest run.
    script = workdir / "dagster_definitions.py"
    script.parent.mkdir(parents=True, exist_ok=True)
    script.write_text(
        "from orchestration.build import build_definitions\n"
        "from orchestration.resources import Reporter\n"
        "from shopsight import settings\n"
        "build_definitions(settings.load(), Reporter(progress=lambda line: None))"
        ".resolve_asset_graph()\n"
    )
    results.append(_timed_subprocess(timer, "Dagster definitions", [PYTHON, str(script)], env))
    results += tiny_runs(timer, tiny, start, seed)
    return results


def _tiny_env(root: Path) -> dict[str, str]:
    return {
        "SHOPSIGHT_LANDING_DIR": str(root / "landing"),
        "SHOPSIGHT_WAREHOUSE": str(root / "warehouse.duckdb"),
        "SHOPSIGHT_SERVING": str(root / "serving.duckdb"),
        "SHOPSIGHT_VALIDATIONS_DIR": str(root / "validations"),
    }


def tiny_settings(root: Path, landing: Path) -> Settings:
    return Settings(
        landing_dir=landing,
        warehouse=root / "warehouse.duckdb",
        serving=root / "serving.duckdb",
        validations_dir=root / "validations",
        dbt_project_dir=REPO_ROOT,
    )


FIXED_RUN = "pipeline, 1 tiny day (warm, in process)"


def tiny_runs(timer: Timer, root: Path, start: date, seed: int) -> list[StageResult]:
    """Whole pipeline runs over one simulated day at the smallest scale: what every run pays
    (imports, Dagster, dbt start and parse, tests on nearly empty tables, publish) before data
    matters. Three of them, each into a fresh warehouse:
    - as `shopsight run` in a fresh process (what a scheduled CLI run pays);
    - in this process, first time (imports Dagster, dbt adapters and GX);
    - in this process again (`FIXED_RUN`): the per-run cost the in-process measurements of the
      benchmark also pay, which the report subtracts when comparing with the lower bound.
    """
    from orchestration.runner import run_pipeline
    from shopsight.simulator import simulate

    landing = root / "landing"
    simulate(landing, start, TINY_DAYS, TINY_SCALE, seed)
    env = {**os.environ, **_tiny_env(root / "cli")}
    env["SHOPSIGHT_LANDING_DIR"] = str(landing)
    results = [
        _timed_subprocess(
            timer,
            "pipeline, 1 tiny day (fresh process)",
            [PYTHON, "-m", "shopsight.cli", "run"],
            env,
        )
    ]
    for name, folder in (
        ("pipeline, 1 tiny day (first in process)", "first"),
        (FIXED_RUN, "warm"),
    ):
        with timer.stage(name) as result:
            summary = run_pipeline(tiny_settings(root / folder, landing), progress=lambda _: None)
        if not summary.success:
            raise RuntimeError(f"{name} failed: {summary.message}")
        result.rows = summary.total_rows
        results.append(result)
    return results
