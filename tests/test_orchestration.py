"""The Dagster layer on hand-made deliveries: definitions, the asset graph, gates that stop a
real run, the landing sensor, and the single-writer lock. Runs here stop before dbt (a gate
fails) or never start it, so they stay fast; the full pipeline is in test_orchestration_pipeline.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from dagster import (
    AssetCheckKey,
    AssetKey,
    DagsterInstance,
    RunRequest,
    build_schedule_context,
    build_sensor_context,
)

from orchestration.assets.dbt import dbt_project
from orchestration.assets.publish import failed_gates
from orchestration.build import build_definitions
from orchestration.checks.suites import EXPECTATIONS_DIR_ENV, contract_suite
from orchestration.partitions import range_tags
from orchestration.runner import dagster_home, run_pipeline
from orchestration.schedules import daily_fallback
from orchestration.sensors import landing_sensor
from shopsight import contract
from shopsight import warehouse as wh
from shopsight.settings import REPO_ROOT
from tests.conftest import make_settings
from tests.landing_factory import folder, mark_success, write_world
from tests.landing_factory import world as make_world

DAYS = [date(2015, 5, 1) + timedelta(days=i) for i in range(3)]


def test_definitions_validate_with_the_dagster_cli() -> None:
    proc = subprocess.run(
        [
            str(Path(sys.executable).parent / "dagster"),
            "definitions",
            "validate",
            "-m",
            "orchestration.definitions",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]


def test_asset_graph_reads_raw_to_serving(tmp_path: Path) -> None:
    defs = build_definitions(make_settings(tmp_path))
    graph = defs.resolve_asset_graph()
    keys = graph.get_all_asset_keys()
    for e in contract.ENTITIES:
        node = graph.get(AssetKey(["raw", e.name]))
        assert node.group_name == "raw"
        assert node.partitions_def is not None
        assert (
            node.backfill_policy is not None and node.backfill_policy.max_partitions_per_run is None
        )
    # dbt sources are the raw assets; models are keyed and grouped by their schema.
    stg = graph.get(AssetKey(["staging", "stg_sales__orders"]))
    assert AssetKey(["raw", "orders"]) in stg.parent_keys
    assert stg.group_name == "staging"
    marts = {k for k in keys if k.path[0] == "marts"}
    assert marts and graph.get(AssetKey(["serving", "snapshot"])).parent_keys == marts
    # One step loads every raw entity, so a failed gate on one never blocks loading another.
    raw_nodes = {graph.get(AssetKey(["raw", e.name])) for e in contract.ENTITIES}
    assert all(not (n.parent_keys & {x.key for x in raw_nodes}) for n in raw_nodes)
    checks = {
        (c.asset_key.path[1], c.name)
        for c in graph.asset_check_keys
        if c.asset_key.path[0] == "raw"
    }
    for e in contract.ENTITIES:
        for name in ("reconciliation", "readable_deliveries", "quarantine_rate", "expectations"):
            assert (e.name, name) in checks
    # Every dbt data test is a check of a model, singular tests that read several models too
    # (they name theirs in `meta.dagster.ref`); none is left a bare observation.
    manifest = json.loads(Path(dbt_project().manifest_path).read_text())
    tests = {n["name"] for n in manifest["nodes"].values() if n["resource_type"] == "test"}
    dbt_checks = {c.name for c in graph.asset_check_keys if c.asset_key.path[0] != "raw"}
    assert tests - dbt_checks == set()
    overview = AssetKey(["marts", "kpi_overview_daily"])
    for name in (
        "assert_overview_traffic_matches_sessions",
        "assert_overview_equals_sales_by_terminal_group",
    ):
        assert AssetCheckKey(overview, name) in graph.asset_check_keys


def _strict_suites(tmp_path: Path) -> Path:
    """The contract's suites, plus an order-amount bound our hand-made orders break."""
    out = tmp_path / "suites"
    out.mkdir()
    for e in contract.ENTITIES:
        suite = contract_suite(e)
        if e.name == "orders":
            suite["expectations"].append(
                {
                    "type": "expect_column_values_to_be_between",
                    "kwargs": {"column": "order_amount", "max_value": 15},
                    "meta": {},
                }
            )
        (out / f"{e.name}.json").write_text(json.dumps(suite))
    return out


def _run_step_statuses(settings, run_id: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    with DagsterInstance.from_config(str(dagster_home(settings))) as instance:
        stats = instance.get_run_step_stats(run_id)
        return {s.step_key: s.status.value if s.status else "?" for s in stats}


def test_a_failing_expectation_suite_stops_dbt_and_publish(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(tmp_path)
    for d in DAYS:
        write_world(settings.landing_dir, d)
    monkeypatch.setenv(EXPECTATIONS_DIR_ENV, str(_strict_suites(tmp_path)))
    lines: list[str] = []
    summary = run_pipeline(settings, progress=lines.append)

    assert not summary.success and not summary.published
    assert summary.failed_checks == ["raw/orders:expectations"]
    steps = _run_step_statuses(settings, summary.run_id)
    assert steps["raw__orders_expectations"] == "FAILURE"
    assert steps.get("dbt_build") in (None, "SKIPPED")  # never ran
    assert steps.get("serving__snapshot") in (None, "SKIPPED")
    assert not settings.serving.exists()
    # The load itself happened and is recorded, with the gate's verdict beside it.
    with wh.connect(settings.warehouse, read_only=True) as con:
        assert con.execute("select count(*) from raw.orders").fetchone()[0] == 9
        failed = con.execute(
            "select check_name, asset, details from ops.check_results "
            "where run_id = ? and not passed",
            [summary.run_id],
        ).fetchall()
        status = con.execute(
            "select status from ops.runs where run_id = ?", [summary.run_id]
        ).fetchone()
    assert [(c, a) for c, a, _ in failed] == [("expectations", "raw/orders")]
    assert "order_amount" in failed[0][2]
    assert status == ("failed",)
    result = json.loads((settings.validations_dir / summary.run_id / "orders.json").read_text())
    assert result["success"] is False
    assert any(line.startswith("[ingest] 15 entities") for line in lines), lines
    assert any(line.startswith("[run]") and "FAILED" in line for line in lines)


def test_a_truncated_file_fails_its_partition_and_the_run(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    for d in DAYS:
        write_world(settings.landing_dir, d)
    bad = folder(settings.landing_dir, "orders", DAYS[1]) / "part-0.csv"
    bad.write_text(bad.read_text()[:-25])
    summary = run_pipeline(settings, progress=lambda line: None)
    assert not summary.success
    assert "raw/orders:readable_deliveries" in summary.failed_checks
    assert [f.split(":")[0] for f in summary.failed_deliveries] == [
        "orders dt=2015-05-02",
        "order_items dt=2015-05-02",  # the lines fall with their orders
    ]
    assert "sales/orders/dt=2015-05-02/part-0.csv: truncated" in summary.failed_deliveries[0]
    assert "sales/orders/dt=2015-05-02/part-0.csv" in summary.message
    with wh.connect(settings.warehouse, read_only=True) as con:
        days = con.execute("select list(distinct _dt order by _dt) from raw.orders").fetchone()[0]
    assert days == [DAYS[0], DAYS[2]]


def test_a_high_quarantine_rate_is_a_blocking_gate(tmp_path: Path) -> None:
    """A real Dagster run of the raw assets only (dbt is not needed to see the gate)."""
    settings = make_settings(tmp_path)
    for d in DAYS:
        w = make_world(d)
        w["content_events"][0]["event_type"] = "poke"  # 1 of 2 rows: 50% quarantined
        write_world(settings.landing_dir, d, w)
    defs = build_definitions(settings)
    raw = [k for k in defs.resolve_asset_graph().get_all_asset_keys() if k.path[0] == "raw"]
    with DagsterInstance.ephemeral() as instance:
        result = defs.resolve_job_def("shopsight_run").execute_in_process(
            instance=instance,
            tags=range_tags(DAYS[0].isoformat(), DAYS[-1].isoformat()),
            asset_selection=raw,
            raise_on_error=False,
        )
        failed = {
            (e.asset_key.to_user_string(), e.check_name)
            for e in result.get_asset_check_evaluations()
            if not e.passed
        }
        run_id = result.run_id
    assert not result.success
    assert failed == {("raw/content_events", "quarantine_rate")}
    with wh.connect(settings.warehouse) as con:
        assert failed_gates(con, run_id) == ["raw/content_events:quarantine_rate"]
        details = con.execute(
            "select details from ops.check_results where run_id = ? and not passed", [run_id]
        ).fetchone()[0]
    assert json.loads(details)["rate"] == 0.5


def test_sensor_requests_runs_for_new_and_redelivered_success(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = tmp_path / "landing"
    monkeypatch.setenv("SHOPSIGHT_LANDING_DIR", str(landing))
    with DagsterInstance.ephemeral() as instance:
        first = landing_sensor(build_sensor_context(instance=instance))
        assert not getattr(first, "run_requests", None)  # empty landing zone: skip

        write_world(landing, DAYS[0])
        new = landing_sensor(build_sensor_context(instance=instance))
        assert len(new.run_requests) == 1
        tags = new.run_requests[0].tags
        assert tags["dagster/asset_partition_range_start"] == "2015-05-01"
        assert tags["dagster/asset_partition_range_end"] == "2015-05-01"

        quiet = landing_sensor(build_sensor_context(instance=instance, cursor=new.cursor))
        assert not getattr(quiet, "run_requests", None)

        mark_success(landing, "orders", DAYS[0], bump=30)  # re-delivered
        again = landing_sensor(build_sensor_context(instance=instance, cursor=new.cursor))
        assert len(again.run_requests) == 1
        assert again.run_requests[0].run_key != new.run_requests[0].run_key

        write_world(landing, DAYS[2])
        newer = landing_sensor(build_sensor_context(instance=instance, cursor=again.cursor))
        assert newer.run_requests[0].tags["dagster/asset_partition_range_start"] == "2015-05-03"


def test_a_second_run_waits_for_the_lock_then_gives_up(tmp_path: Path) -> None:
    settings = make_settings(tmp_path)
    settings.landing_dir.mkdir()  # an empty landing zone: without one the run refuses earlier
    env = {
        **os.environ,
        "SHOPSIGHT_WAREHOUSE": str(settings.warehouse),
        "SHOPSIGHT_LANDING_DIR": str(settings.landing_dir),
    }
    with wh.writer_lock(settings.warehouse):
        proc = subprocess.run(
            [str(Path(sys.executable).parent / "shopsight"), "run", "--wait", "1"],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "another Shopsight run is writing" in proc.stdout
    assert f"pid {os.getpid()}" in proc.stdout
    assert "waited 1 s" in proc.stdout


def test_daily_fallback_schedule_covers_the_landing_zone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = tmp_path / "landing"
    monkeypatch.setenv("SHOPSIGHT_LANDING_DIR", str(landing))
    with DagsterInstance.ephemeral() as instance:
        empty = daily_fallback(build_schedule_context(instance=instance))
        assert not isinstance(empty, RunRequest)
        write_world(landing, DAYS[0])
        write_world(landing, DAYS[2])
        request = daily_fallback(build_schedule_context(instance=instance))
    assert isinstance(request, RunRequest)
    assert request.tags["dagster/asset_partition_range_start"] == "2015-05-01"
    assert request.tags["dagster/asset_partition_range_end"] == "2015-05-03"


def test_validation_chunks_keep_whole_deliveries_under_the_row_limit() -> None:
    from orchestration.checks.expectations import chunks

    dates = [(DAYS[0] + timedelta(days=i), n) for i, n in enumerate([4, 4, 3, 9, 1, 1])]
    groups = chunks(dates, limit=8)
    assert [len(g) for g in groups] == [2, 1, 1, 2]
    assert [d for g in groups for d in g] == [d for d, _ in dates]  # every date exactly once
