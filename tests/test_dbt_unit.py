"""The dbt unit tests (`unit_tests:` in the models' YAML) against a warehouse with empty raw
tables: they need no simulator, only the upstream relations' column types.

One `dbt build` without the data tests does it: dbt runs each unit test right after building
the model's parents (over the empty raw tables), which is what `dbt run` followed by
`dbt test --select test_type:unit` would do, in one invocation instead of two parses.
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pytest

from tests.dbt_support import DbtRun, run_dbt

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
    "kpi_customer_lifecycle_monthly": {"lifecycle_repeat_rate_counts_365_days_to_each_month_end"},
    "int_content_events__account_years": {
        "account_years_take_first_days_again_only_inside_the_window"
    },
    "kpi_content_uv_growth": {
        "content_uv_growth_weeks_months_years",
        "content_uv_growth_recounts_only_touched_periods",
        "content_uv_growth_moves_counts_by_late_link_repairs",
        "content_uv_growth_recounts_a_repair_it_did_not_count",
    },
}


@pytest.fixture(scope="module")
def unit_test_run(dbt_empty_warehouse: tuple[Path, Path]) -> DbtRun:
    warehouse, work = dbt_empty_warehouse
    return run_dbt(["build", "--exclude", "resource_type:test"], warehouse, work, check=False)


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


def test_models_build_over_empty_raw_tables(unit_test_run: DbtRun) -> None:
    """What a fresh install sees before the first delivery: every model builds, empty."""
    models = unit_test_run.statuses("model")
    assert len(models) >= 40, f"only {len(models)} models ran"
    assert set(models.values()) == {"success"}, models


def test_models_first_built_before_any_delivery_fill_on_the_next_run(
    unit_test_run: DbtRun, dbt_empty_warehouse: tuple[Path, Path], tmp_path: Path
) -> None:
    """A fresh install runs once before the first delivery: every model is built, empty. The
    next run, with data, must fill the marts that rebuild only the keys their upstream
    rewrote since their newest row, although they have no newest row (fct_orders stayed empty
    for good until its `last_built_at` gave the beginning of time instead of null)."""
    from shopsight.ingest import ingest
    from shopsight.simulator import simulate

    assert set(unit_test_run.statuses("model").values()) == {"success"}
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(dbt_empty_warehouse[0], warehouse)
    simulate(tmp_path / "landing", date(2015, 10, 1), 5, 0.01, 11)
    ingest(warehouse, tmp_path / "landing", run_id="first-delivery")
    run_dbt(["build", "--exclude", "resource_type:test", "resource_type:unit_test"], warehouse,
            tmp_path / "dbt")  # fmt: skip
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        counts = {
            relation: con.execute(f"select count(distinct {key}) from {relation}").fetchone()[0]
            for relation, key in (
                ("staging.stg_sales__orders", "order_id"),
                ("marts.fct_orders", "order_id"),
                ("staging.stg_content__content_items", "content_id"),
                ("marts.dim_content", "content_id"),
                ("marts.bridge_content_skus", "content_id"),
            )
        }
    finally:
        con.close()
    assert counts["staging.stg_sales__orders"] > 0
    assert counts["marts.fct_orders"] == counts["staging.stg_sales__orders"]
    assert counts["marts.dim_content"] == counts["staging.stg_content__content_items"] > 0
    assert counts["marts.bridge_content_skus"] > 0
