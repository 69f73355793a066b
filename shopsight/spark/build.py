"""One Spark build: raw layer -> Parquet lake -> `dbt build --target spark`, with stage timings.

dbt runs as a child process because dbt-spark's `session` method starts Spark's JVM inside the
dbt process and the JVM's static settings (warehouse dir, metastore) cannot change once it is
up: a fresh process per build keeps runs (and tests with their own tmp folders) apart. Each
start costs 20-25 s of JVM and metastore start-up, so a run makes exactly one dbt invocation.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from shopsight.lake import LakeExport, export_raw
from shopsight.settings import Settings
from shopsight.spark.paths import SparkPaths, spark_paths
from shopsight.warehouse import writer_lock

# The warehouse lock is normally free or already ours (`shopsight run` holds it re-entrantly);
# wait a little for a concurrent writer rather than fail at once.
LOCK_WAIT_SECONDS = 600.0


class SparkBuildError(RuntimeError):
    """dbt could not be started for the Spark target (not a failing model: see SparkBuild)."""


@dataclass(frozen=True)
class NodeTiming:
    """One dbt node of the build (model, test, seed, hook) as run_results.json reports it."""

    unique_id: str
    resource_type: str
    status: str
    seconds: float
    message: str | None = None
    schema: str | None = None  # where the node's relation lives (models, seeds)
    name: str | None = None  # the relation's name (alias)


@dataclass(frozen=True)
class SparkBuild:
    """What a Spark build did and how long each stage took."""

    success: bool
    returncode: int
    paths: SparkPaths
    stages: dict[str, float]  # seconds per stage, in the order they ran
    nodes: tuple[NodeTiming, ...] = ()
    lake: LakeExport | None = None
    output_tail: str = ""
    counts: dict[str, int] = field(default_factory=dict)  # nodes per resource type

    @property
    def failures(self) -> tuple[NodeTiming, ...]:
        return tuple(n for n in self.nodes if n.status in {"error", "fail", "runtime error"})

    def summary(self) -> str:
        """One line per stage, for logs and the benchmark's report."""
        lines = [f"{name:<22}{seconds:8.1f} s" for name, seconds in self.stages.items()]
        if self.failures:
            lines.append("failed: " + ", ".join(n.unique_id for n in self.failures))
        return "\n".join(lines)


def _dbt_executable() -> str:
    """The dbt of this interpreter's environment (the project's venv), else the one on PATH."""
    beside = Path(sys.executable).with_name("dbt")
    if beside.exists():
        return str(beside)
    found = shutil.which("dbt")
    if not found:
        raise SparkBuildError("cannot find the dbt executable of this environment")
    return found


def dbt_command(
    settings: Settings,
    paths: SparkPaths,
    command: str = "build",
    extra_args: Sequence[str] = (),
) -> list[str]:
    """The dbt command line for the Spark target, with Spark's own target and log folders."""
    project = str(settings.dbt_project_dir)
    return [
        _dbt_executable(),
        command,
        "--target",
        "spark",
        "--project-dir",
        project,
        "--profiles-dir",
        project,
        "--target-path",
        str(paths.dbt_target_dir),
        "--log-path",
        str(paths.dbt_log_dir),
        *extra_args,
    ]


def dbt_environment(settings: Settings, paths: SparkPaths) -> dict[str, str]:
    """This process's environment plus every Shopsight path, for the dbt child process."""
    env = dict(os.environ)
    env.update(
        SHOPSIGHT_LANDING_DIR=str(settings.landing_dir),
        SHOPSIGHT_WAREHOUSE=str(settings.warehouse),
        SHOPSIGHT_SERVING=str(settings.serving),
        SHOPSIGHT_VALIDATIONS_DIR=str(settings.validations_dir),
        # No colours or progress bars in captured output.
        DBT_USE_COLORS="false",
        DBT_SEND_ANONYMOUS_USAGE_STATS="false",
    )
    env.update(paths.environment())
    return env


def read_run_results(target_dir: Path) -> tuple[NodeTiming, ...]:
    """The nodes of the last invocation, with their schema and name from the manifest."""
    path = target_dir / "run_results.json"
    if not path.exists():
        return ()
    results = json.loads(path.read_text()).get("results", [])
    manifest_path = target_dir / "manifest.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.exists() else {}
    known = manifest.get("nodes", {})
    nodes = []
    for r in results:
        unique_id = r["unique_id"]
        node = known.get(unique_id, {})
        nodes.append(
            NodeTiming(
                unique_id=unique_id,
                resource_type=unique_id.split(".", 1)[0],
                status=str(r.get("status")),
                seconds=float(r.get("execution_time") or 0.0),
                message=r.get("message"),
                schema=node.get("schema"),
                name=node.get("alias") or node.get("name"),
            )
        )
    return tuple(nodes)


def _stage_split(nodes: Sequence[NodeTiming], wall: float) -> dict[str, float]:
    """Split dbt's wall time into hooks, seeds, models, tests and the rest (parse + JVM)."""
    by_type: dict[str, float] = defaultdict(float)
    for n in nodes:
        by_type[n.resource_type] += n.seconds
    stages = {
        "dbt_hooks": by_type.pop("operation", 0.0),
        "dbt_seeds": by_type.pop("seed", 0.0),
        "dbt_models": by_type.pop("model", 0.0),
        "dbt_tests": by_type.pop("test", 0.0) + by_type.pop("unit_test", 0.0),
    }
    stages["dbt_other_nodes"] = sum(by_type.values())
    # What is left of the wall time is dbt start-up, parsing and Spark's JVM/metastore start
    # (the session opens lazily inside the first hook, so part of it is counted there).
    stages["dbt_startup_and_parse"] = max(wall - sum(stages.values()), 0.0)
    return stages


def build_on_spark(
    settings: Settings,
    *,
    export_lake: bool = True,
    dbt_args: Sequence[str] = (),
    progress: Callable[[str], None] = print,
    paths: SparkPaths | None = None,
) -> SparkBuild:
    """Export the raw layer to the lake (unless told not to) and run one `dbt build` on Spark.

    `dbt_args` are added to the command line (e.g. `["--exclude", "resource_type:unit_test"]`).
    Returns the stage timings whether dbt succeeded or not; raises `SparkBuildError` only when
    dbt cannot be started at all.

    Holds the warehouse lock throughout: the export reads the warehouse, and the local Derby
    metastore admits one Spark process at a time, so builds queue behind other writers.
    """
    with writer_lock(settings.warehouse, wait_seconds=LOCK_WAIT_SECONDS):
        return _build_locked(settings, export_lake, dbt_args, progress, paths)


def _build_locked(
    settings: Settings,
    export_lake: bool,
    dbt_args: Sequence[str],
    progress: Callable[[str], None],
    paths: SparkPaths | None,
) -> SparkBuild:
    paths = paths or spark_paths(settings.warehouse)
    paths.spark_dir.mkdir(parents=True, exist_ok=True)
    stages: dict[str, float] = {}
    started = time.perf_counter()

    export: LakeExport | None = None
    if export_lake:
        export = export_raw(settings.warehouse, paths.lake)
        stages["lake_export"] = export.seconds
        progress(
            f"[spark] exported {export.rows:,} raw rows of {len(export.entities)} entities "
            f"to {paths.lake / 'raw'} in {export.seconds:.1f} s"
        )

    command = dbt_command(settings, paths, "build", dbt_args)
    run_results = paths.dbt_target_dir / "run_results.json"
    run_results.unlink(missing_ok=True)  # never report a previous build's results as ours
    driver_log = paths.spark_dir / "spark-driver.log"
    progress(f"[spark] {' '.join(command[1:4])} (Spark driver log: {driver_log})")
    dbt_started = time.perf_counter()
    tail: list[str] = []
    try:
        with driver_log.open("w") as stderr:
            proc = subprocess.Popen(
                command,
                cwd=settings.dbt_project_dir,
                env=dbt_environment(settings, paths),
                stdout=subprocess.PIPE,
                stderr=stderr,
                text=True,
            )
            assert proc.stdout is not None
            try:
                for line in proc.stdout:
                    line = line.rstrip()
                    tail.append(line)
                    del tail[:-40]
                    progress(f"[spark] {line}")
                returncode = proc.wait()
            finally:
                if proc.poll() is None:  # interrupted: do not leave a JVM behind
                    proc.terminate()
                    proc.wait(timeout=60)
    except OSError as exc:
        raise SparkBuildError(f"could not start dbt for the Spark target: {exc}") from exc
    wall = time.perf_counter() - dbt_started
    nodes = read_run_results(paths.dbt_target_dir)
    stages["dbt_build"] = wall
    stages.update(_stage_split(nodes, wall))
    stages["total"] = time.perf_counter() - started

    counts: dict[str, int] = defaultdict(int)
    for n in nodes:
        counts[n.resource_type] += 1
    build = SparkBuild(
        success=returncode == 0 and bool(nodes),
        returncode=returncode,
        paths=paths,
        stages=stages,
        nodes=nodes,
        lake=export,
        output_tail="\n".join(tail),
        counts=dict(counts),
    )
    progress(f"[spark] dbt build {'passed' if build.success else 'FAILED'} in {wall:.1f} s")
    return build


def stage_timings(settings: Settings, **kwargs: object) -> dict[str, float]:
    """The benchmark's entry point: run a Spark build and return its stage timings (seconds).

    Raises `SparkBuildError` if the build fails, since timings of a failed build mean nothing.
    """
    build = build_on_spark(settings, **kwargs)  # type: ignore[arg-type]
    if not build.success:
        raise SparkBuildError("the Spark build failed; last output:\n" + build.output_tail[-4000:])
    return dict(build.stages)
