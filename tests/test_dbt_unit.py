"""The dbt unit tests (`unit_tests:` in the models' YAML) against a warehouse with empty raw
tables: they need no simulator, only the upstream relations' column types, which a `dbt run`
over empty raw tables provides.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.dbt_support import DbtRun, create_empty_raw, run_dbt

# The branchy logic the unit tests must cover: model -> unit tests expected on it.
REQUIRED_UNIT_TESTS = {
    "stg_sales__orders": {"orders_keep_latest_version"},
    "stg_reference__brands": {"reference_uses_latest_snapshot"},
    "stg_content__content_events": {"content_events_dedupe_by_event_id"},
    "int_content_events__resolved": {"content_persons_resolve_across_platforms"},
    "int_sessions__converted": {"session_persons_and_conversion"},
    "int_order_lines__attributed": {"attribution_last_touch_7_days_with_ties"},
    "int_experiments__units": {"experiment_units_variants_segments_converters"},
    "int_buyers__monthly_states": {"lifecycle_states_at_window_edges"},
    "kpi_content_uv_growth": {"content_uv_growth_weeks_months_years"},
}


@pytest.fixture(scope="module")
def unit_test_run(tmp_path_factory: pytest.TempPathFactory) -> DbtRun:
    root = tmp_path_factory.mktemp("dbt_unit")
    warehouse = root / "warehouse.duckdb"
    create_empty_raw(warehouse)
    work = root / "dbt"
    run_dbt(["seed"], warehouse, work)
    run_dbt(["run"], warehouse, work)
    return run_dbt(["test", "--select", "test_type:unit"], warehouse, work, check=False)


def test_every_unit_test_passes(unit_test_run: DbtRun) -> None:
    statuses = unit_test_run.statuses("unit_test")
    assert statuses, f"no unit test ran:\n{unit_test_run.output[-3000:]}"
    failed = {k: v for k, v in statuses.items() if v != "pass"}
    assert not failed, f"unit tests failed: {failed}\n{unit_test_run.output[-6000:]}"
    assert unit_test_run.returncode == 0


def test_required_logic_is_covered(unit_test_run: DbtRun) -> None:
    # unique_id: unit_test.shopsight.<model>.<test name>
    ran: dict[str, set[str]] = {}
    for unique_id in unit_test_run.statuses("unit_test"):
        _, _, model, name = unique_id.split(".")
        ran.setdefault(model, set()).add(name)
    missing = {m: sorted(n - ran.get(m, set())) for m, n in REQUIRED_UNIT_TESTS.items()}
    assert not {m: n for m, n in missing.items() if n}, f"unit tests missing: {missing}"


def test_empty_warehouse_builds(unit_test_run: DbtRun, tmp_path: Path) -> None:
    """The models ran over empty raw tables (what a fresh install sees before any delivery)."""
    del tmp_path
    assert unit_test_run.results, "dbt wrote no run results"
