"""The dbt project as Dagster assets: one `dbt build` per run, tests as asset checks.

Asset keys follow the schema a model lands in (`staging/stg_sales__orders`,
`marts/kpi_...`) and dbt sources carry `meta.dagster.asset_key` = `raw/<entity>`, so the graph
reads raw -> staging -> intermediate -> marts -> serving as one picture. The manifest is
prepared once with `dbt parse` and reused until a file of the dbt project changes.
"""

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
from dagster import (
    AssetCheckEvaluation,
    AssetCheckResult,
    AssetCheckSeverity,
    AssetExecutionContext,
    AssetKey,
    AssetMaterialization,
    AssetsDefinition,
    Failure,
    Output,
)
from dagster_dbt import (
    DagsterDbtTranslator,
    DagsterDbtTranslatorSettings,
    DbtCliResource,
    DbtProject,
    dbt_assets,
)

from orchestration import dbt_launcher
from orchestration.checks.recording import record
from orchestration.partitions import FULL_REFRESH_TAG
from orchestration.resources import Reporter, ShopsightPaths
from shopsight.ingest.schema import ensure_schema
from shopsight.settings import REPO_ROOT
from shopsight.spark.pipeline import engine_from_env, import_spark_marts, prepare_spark_dbt

DBT_PROJECT_DIR = REPO_ROOT
# dbt's own sources of truth: a change to any of them makes the manifest stale.
DBT_INPUTS = ("models", "macros", "seeds", "data_tests", "snapshots", "analyses")
DBT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml")
# dbt's look-back for late rows (the contract's 7 days); kept in dbt_project.yml vars too.
LOOKBACK_DAYS = 7
# How a run pins the incremental window's first day (macros/incremental_window.sql,
# `pinned_min_date`): an environment variable, not `--vars`, because dbt re-parses the whole
# project whenever `--vars` differ from its last parse, and the window moves every day.
MIN_DATE_ENV = "SHOPSIGHT_DBT_MIN_DATE"
# Per-run dbt target folders kept for looking into recent runs (`prune_build_targets`).
KEPT_BUILD_TARGETS = 5


def dbt_executable() -> str:
    """dbt from this venv (beside the running Python), so no PATH set-up is needed."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def has_dbt_project() -> bool:
    return (DBT_PROJECT_DIR / "dbt_project.yml").exists()


def dbt_project() -> DbtProject:
    return DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)


def _newest_input_mtime() -> float:
    newest = 0.0
    for name in DBT_FILES:
        path = DBT_PROJECT_DIR / name
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
    for folder in DBT_INPUTS:
        for path in (DBT_PROJECT_DIR / folder).rglob("*"):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    return newest


def ensure_manifest(project: DbtProject) -> Path:
    """`dbt parse` if the manifest is missing or older than the project's files."""
    manifest = Path(project.manifest_path)
    if manifest.exists() and manifest.stat().st_mtime >= _newest_input_mtime():
        return manifest
    proc = subprocess.run(
        [
            dbt_executable(),
            "parse",
            "--quiet",
            "--project-dir",
            str(project.project_dir),
            "--profiles-dir",
            str(project.profiles_dir),
        ],
        cwd=project.project_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 or not manifest.exists():
        raise RuntimeError(f"dbt parse failed:\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return manifest


def load_manifest(project: DbtProject) -> dict[str, Any]:
    """The project's manifest (`ensure_manifest`), read once for everything that needs it."""
    return json.loads(ensure_manifest(project).read_text())


def incremental_mart_days(manifest: Mapping[str, Any]) -> dict[str, str]:
    """Marts that dbt keeps incremental by one key column, as table -> that column (their
    `unique_key`: a date such as fct_sessions' session_date, or fct_orders' order_id): publish
    patches those key by key instead of copying them whole."""
    nodes = manifest.get("nodes", {})
    out: dict[str, str] = {}
    for node in nodes.values():
        config = node.get("config") or {}
        key = config.get("unique_key")
        if (
            node.get("resource_type") == "model"
            and node.get("schema") == "marts"
            and config.get("materialized") == "incremental"
            and isinstance(key, str)
        ):
            out[node.get("alias") or node["name"]] = key
    return out


class ShopsightDbtTranslator(DagsterDbtTranslator):
    """Models are keyed and grouped by the schema their folder puts them in."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)  # meta.dagster.asset_key: raw/...
        return AssetKey([_layer(dbt_resource_props), dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return _layer(dbt_resource_props)


def _layer(props: Mapping[str, Any]) -> str:
    schema = (props.get("config") or {}).get("schema")
    if schema:
        return str(schema)
    fqn = props.get("fqn") or []
    return str(fqn[1]) if len(fqn) > 2 else "marts"


TRANSLATOR = ShopsightDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


def first_unbuilt_day(con: duckdb.DuckDBPyConnection, run_id: str) -> date | None:
    """The earliest delivery date whose raw rows changed since dbt last built them: loaded by
    this run, or recorded since the last run that succeeded. Runs that were killed, crashed or
    were stopped by a gate after loading never rebuilt their days; if only this run's
    deliveries counted, those days would be rebuilt only when they happened to fall within the
    look-back of a later delivery. A failed delivery counts too: recording it removed the rows
    an earlier load of that day had left in `raw`. None: nothing changed."""
    row = con.execute(
        """
        select min(dt) from ops.deliveries
        where run_id = $1
           or loaded_at > coalesce(
                (select max(finished_at) from ops.runs
                 where status = 'succeeded' and run_id <> $1),
                '-infinity'::timestamptz)
        """,
        [run_id],
    ).fetchone()
    return row[0] if row else None


def window_start(paths: ShopsightPaths, run_id: str) -> date | None:
    """The incremental models' first day to rebuild: the first day dbt has not built since it
    changed (`first_unbuilt_day`), minus the late-data look-back (a re-delivered old day can
    change the days before it). None: nothing changed, the models' own look-back applies."""
    with paths.reader() as con:
        first = first_unbuilt_day(con, run_id)
    return first - timedelta(days=LOOKBACK_DAYS) if first else None


@contextlib.contextmanager
def _environment(name: str, value: str | None) -> Iterator[None]:
    """`name` set to `value` (or unset, for None) while dbt starts, as it was afterwards: the
    dbt process copies the environment when it starts, and a later dbt started by this process
    (another run, a test) must not inherit this run's window."""
    before = os.environ.get(name)
    try:
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def dbt_log_path(paths: ShopsightPaths, run_id: str) -> Path:
    return Path(paths.warehouse).parent / "logs" / "dbt" / f"{run_id}.log"


@dataclass
class _Tally:
    """What the dbt event stream reported: models built and (asset, test, passed, severity,
    metadata) per test."""

    models: int = 0
    checks: list[tuple[str, str, bool, str, dict[str, Any]]] = field(default_factory=list)


def _stream(invocation: Any, tally: _Tally) -> Iterator[Any]:
    """Pass dbt's Dagster events on, counting models and noting test outcomes."""
    for event in invocation.stream():
        if isinstance(event, Output | AssetMaterialization):
            tally.models += 1
        if isinstance(event, AssetCheckResult | AssetCheckEvaluation):
            key = event.asset_key
            severity = "warn" if event.severity == AssetCheckSeverity.WARN else "error"
            meta = {k: getattr(v, "value", str(v)) for k, v in (event.metadata or {}).items()}
            asset = "/".join(key.path) if key else "?"
            tally.checks.append((asset, event.check_name or "?", event.passed, severity, meta))
        yield event


def _stop(invocation: Any) -> None:
    process = getattr(invocation, "process", None)
    if process is not None and process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def dbt_failures(target_path: Path) -> list[str]:
    """`<node>: <message>` for every failed or errored node of the run (from run_results)."""
    path = Path(target_path) / "run_results.json"
    if not path.exists():
        return []
    results = json.loads(path.read_text()).get("results", [])
    return [
        f"{r['unique_id']}: {' '.join(str(r.get('message') or r['status']).split())[:300]}"
        for r in results
        if r.get("status") in ("error", "fail", "runtime error")
    ]


def build_dbt_assets(project: DbtProject, manifest: Mapping[str, Any]) -> AssetsDefinition:
    @dbt_assets(
        manifest=manifest,
        project=project,
        dagster_dbt_translator=TRANSLATOR,
        name="dbt_build",
        required_resource_keys={"paths", "reporter", "dbt"},
    )
    def _dbt(context: AssetExecutionContext) -> Iterator[Any]:
        dbt: DbtCliResource = context.resources.dbt
        paths: ShopsightPaths = context.resources.paths
        reporter: Reporter = context.resources.reporter
        reporter.flush("ingest", "checks")
        started = time.perf_counter()
        os.environ["SHOPSIGHT_WAREHOUSE"] = paths.warehouse  # the profile reads it
        # dbt unit tests check the models' logic on fixed inputs, not the data a run loaded:
        # they run in the test suite (tests/test_dbt_unit.py) and in a hand-run `dbt build`,
        # not as fixed cost in every pipeline run.
        args = ["build", "--exclude-resource-type", "unit_test"]
        start = None
        if context.run.tags.get(FULL_REFRESH_TAG) == "true":
            args.append("--full-refresh")
        else:
            start = window_start(paths, context.run_id)
        spark = None
        if engine_from_env() == "spark":  # SHOPSIGHT_ENGINE, docs/spark.md
            extra, spark = prepare_spark_dbt(paths.warehouse_path, progress=reporter.progress)
            args += extra
        dbt_launcher.mark_parent()  # the launcher checks it still has this parent
        with _environment(MIN_DATE_ENV, start.isoformat() if start else None):
            invocation = dbt.cli(args, context=context, raise_on_error=False)
        tally = _Tally()
        # dagster-dbt echoes every dbt log line to stdout; `shopsight run` prints one line per
        # stage, so the dbt log goes to a file beside the warehouse instead.
        log_path = dbt_log_path(paths, context.run.run_id)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with log_path.open("w") as log, contextlib.redirect_stdout(log):
                yield from _stream(invocation, tally)
        finally:
            _stop(invocation)  # never leave dbt holding the warehouse after an error
            keep_partial_parse(Path(invocation.target_path), DBT_PROJECT_DIR / "target")
            prune_build_targets(Path(invocation.target_path).parent)
        models, checks = tally.models, tally.checks
        failures = [c for c in checks if not c[2] and c[3] == "error"]
        with paths.writer() as con:
            # One transaction for the ~360 test results: a commit each was seconds of fsyncs.
            ensure_schema(con)
            con.begin()
            for asset, name, passed, severity, meta in checks:
                record(
                    con,
                    run_id=context.run_id,
                    check_name=f"dbt:{name}",
                    asset=asset,
                    partition=None,
                    passed=passed,
                    severity=severity,
                    details=meta,
                    ensure_tables=False,
                )
            con.commit()
        reporter.add(
            "dbt",
            models=models,
            tests=len(checks),
            failures=len(failures),
            seconds=time.perf_counter() - started,
        )
        reporter.flush("dbt")
        if spark is not None and invocation.is_successful():
            # Spark's marts come back through its serving extract; publish copies them on.
            import_spark_marts(paths.warehouse_path, spark, invocation.target_path)
        if not invocation.is_successful():
            problems = dbt_failures(invocation.target_path) or [f"see {log_path}"]
            raise Failure(
                description=f"dbt build failed: {'; '.join(problems[:10])}",
                metadata={"failures": "\n".join(problems)},
            )

    return _dbt


class ShopsightDbtCliResource(DbtCliResource):
    """dagster-dbt's resource, minus the dbt adapter it builds inside Dagster's process.

    Before every `dbt build`, `DbtCliResource.cli` loads the dbt project's macros and a DuckDB
    adapter in the orchestrating process (~1.9 s of every run on the reference machine). That
    handle serves only `fetch_row_counts()` and `fetch_column_metadata()`, which Shopsight
    does not call: dbt itself runs in its own process and needs none of it. Without it,
    dagster-dbt runs dbt exactly as before (`tests/test_dbt_housekeeping.py` checks that the
    invocation carries no adapter, so a renamed hook in a later dagster-dbt shows up).
    """

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> Any:
        return None


def dbt_resource() -> DbtCliResource:
    # dbt runs through a launcher that makes it die with this process: a `kill -9` of the run
    # must not leave dbt writing the warehouse without the writer lock (dbt_launcher.py).
    launcher = dbt_launcher.ensure_launcher(dbt_executable(), DBT_PROJECT_DIR / "target")
    return ShopsightDbtCliResource(
        project_dir=str(DBT_PROJECT_DIR),
        profiles_dir=str(DBT_PROJECT_DIR),
        dbt_executable=launcher,
        # No debug `dbt.log` in the run's target folder: ~10 MB per run with every statement,
        # and writing it was ~5% of dbt's time. The run's own log (`dbt_log_path`) keeps
        # dbt's info lines; the compiled SQL of every node stays in the target folder.
        global_config_flags=["--log-level-file", "none"],
    )


def keep_partial_parse(run_target: Path, project_target: Path) -> bool:
    """Make the parse state this run's dbt left the one the next run starts from.

    dagster-dbt gives each dbt invocation a fresh target folder and seeds it with the project
    target's `partial_parse.msgpack`, but never copies the file back. That seed comes from
    `dbt parse` (`ensure_manifest`), whose profile names no run's warehouse, so dbt found the
    profile changed and parsed the whole project again on every run (~3.5 s at each start).
    dbt checks the file itself (profile, vars, file checksums) and re-parses what changed, so a
    stale copy costs a parse, never a wrong build. Replaced by rename: a run starting at the
    same moment reads the old file or the new one, never half of one. Returns whether copied.
    """
    produced = run_target / "partial_parse.msgpack"
    if not produced.is_file():
        return False
    project_target.mkdir(parents=True, exist_ok=True)
    staged = project_target / f".partial_parse.msgpack.{os.getpid()}.tmp"
    shutil.copyfile(produced, staged)
    os.replace(staged, project_target / "partial_parse.msgpack")
    return True


def prune_build_targets(target_root: Path, keep: int = KEPT_BUILD_TARGETS) -> list[Path]:
    """Delete all but the newest `keep` per-run dbt target folders; returns those deleted.

    dagster-dbt gives every dbt invocation its own target folder (`target/dbt_build-...`, ~10
    MB: manifest, run results, compiled SQL). Kept forever, a daily schedule would fill the
    disk; the newest few are enough to look into a recent failure.
    """
    folders = sorted(
        (p for p in Path(target_root).glob("dbt_build-*") if p.is_dir()),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    old = folders[keep:]
    for folder in old:
        shutil.rmtree(folder, ignore_errors=True)
    return old
