"""Great Expectations suites as blocking Dagster asset checks on the raw assets.

GX 1.x has no working DuckDB datasource, so each check reads the deliveries its run loaded into
a pandas frame (short read of DuckDB) and validates that frame against the suite file. Results
are kept twice for the dashboard: the full GX JSON under `SHOPSIGHT_VALIDATIONS_DIR/<run_id>/`
and a summary row in `ops.check_results`.
"""

import json
import os
import time
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    asset_check,
)

from orchestration.assets.raw import raw_key
from orchestration.checks.recording import record
from orchestration.checks.suites import suite_path
from orchestration.resources import Reporter, ShopsightPaths
from shopsight import contract
from shopsight.ingest.sqltext import ident, lit

CHECK_NAME = "expectations"


@cache
def _context() -> Any:
    """One ephemeral GX context per process (GX's import and set-up cost seconds)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    return ctx


def load_suite(path: Path) -> Any:
    """The suite in `path`, through GX's own serialisation."""
    from great_expectations.core import ExpectationSuite

    return ExpectationSuite(**json.loads(path.read_text()))


def validate_frame(entity: str, frame: pd.DataFrame, suite_file: Path) -> dict[str, Any]:
    """Validate `frame` against the suite in `suite_file`; GX's result as a JSON dict."""
    ctx = _context()
    name = f"raw_{entity}"
    try:
        source = ctx.data_sources.get("shopsight")
    except (KeyError, ValueError):
        source = ctx.data_sources.add_pandas("shopsight")
    try:
        asset = source.get_asset(name)
    except LookupError:
        asset = source.add_dataframe_asset(name)
    try:
        batch_def = asset.get_batch_definition("whole")
    except KeyError:
        batch_def = asset.add_batch_definition_whole_dataframe("whole")
    batch = batch_def.get_batch(batch_parameters={"dataframe": frame})
    return batch.validate(load_suite(suite_file)).to_json_dict()


def frame_for_run(paths: ShopsightPaths, entity: str, run_id: str) -> tuple[pd.DataFrame, list]:
    """The rows of `raw.<entity>` from the deliveries this run loaded (decimals as doubles,
    which GX compares natively)."""
    e = contract.entity(entity)
    with paths.reader() as con:
        dts = [
            r[0]
            for r in con.execute(
                "select dt from ops.deliveries where entity = ? and run_id = ? "
                "and status = 'loaded' order by dt",
                [entity, run_id],
            ).fetchall()
        ]
        if not dts:
            return pd.DataFrame(), []
        cols = [
            f"{ident(c.name)}::double as {ident(c.name)}" if c.type == "decimal" else ident(c.name)
            for c in e.columns
        ] + [ident(n) for n, _ in contract.LINEAGE_COLUMNS]
        in_dts = ", ".join(lit(d.isoformat()) for d in dts)
        frame = con.execute(
            f"select {', '.join(cols)} from raw.{ident(entity)} where _dt in ({in_dts})"
        ).df()
    return frame, dts


def _summary(result: dict[str, Any]) -> dict[str, Any]:
    failed = [
        {
            "expectation": r["expectation_config"]["type"],
            "column": r["expectation_config"]["kwargs"].get("column"),
            "unexpected_count": r.get("result", {}).get("unexpected_count"),
            "partial_unexpected_list": r.get("result", {}).get("partial_unexpected_list", [])[:5],
        }
        for r in result["results"]
        if not r["success"]
    ]
    return {"statistics": result["statistics"], "failed": failed}


def build_expectation_check(entity: str) -> AssetChecksDefinition:
    @asset_check(
        asset=raw_key(entity),
        name=CHECK_NAME,
        blocking=True,
        description=f"Great Expectations suite expectations/{entity}.json on the rows loaded "
        "by this run",
        required_resource_keys={"paths", "reporter"},
    )
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        paths: ShopsightPaths = context.resources.paths
        reporter: Reporter = context.resources.reporter
        started = time.perf_counter()
        frame, dts = frame_for_run(paths, entity, context.run.run_id)
        if not dts:
            passed, details = True, {"rows": 0, "note": "nothing loaded by this run"}
            partition = None
        else:
            result = validate_frame(entity, frame, suite_path(entity))
            out = Path(paths.validations_dir) / context.run.run_id / f"{entity}.json"
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, indent=1, default=str))
            passed = bool(result["success"])
            details = {"rows": len(frame), "result_file": str(out), **_summary(result)}
            partition = f"{dts[0]}..{dts[-1]}" if len(dts) > 1 else str(dts[0])
        with paths.writer() as con:
            record(
                con,
                run_id=context.run.run_id,
                check_name=CHECK_NAME,
                asset=f"raw/{entity}",
                partition=partition,
                passed=passed,
                severity="error",
                details=details,
            )
        reporter.add(
            "checks",
            checks=1,
            failed_checks=[] if passed else [f"raw/{entity}:{CHECK_NAME}"],
            seconds=time.perf_counter() - started,
        )
        return AssetCheckResult(
            passed=passed,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "rows": len(frame),
                "failed_expectations": json.dumps(details.get("failed", []), default=str)[:4000],
            },
        )

    return _check


def build_expectation_checks() -> list[AssetChecksDefinition]:
    return [build_expectation_check(e.name) for e in contract.ENTITIES]
