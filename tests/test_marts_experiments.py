"""Conversion lift at a realistic sample size: the 2015 Double 11 venue experiment at --scale 0.1.

Only the experiment's stretch is simulated (four weeks of history before it, its eleven days,
and the day after), ingested, and built with a plain `dbt build` of the experiment mart and its
parents (their data tests included) using the repository's profile, outside Dagster. Each
personalised variant's 95% interval for the relative lift must cover the lift the simulator
planted, and every statistic must agree with statsmodels/scipy on the mart's own counts.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from shopsight.ingest import ingest
from tests.dbt_support import run_dbt

START = date(2015, 10, 4)
DAYS = 40  # through 2015-11-12
SCALE = 0.1
SEED = 7


@pytest.fixture(scope="module")
def experiment_build(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[pd.DataFrame, dict[str, Any]]]:
    from shopsight.simulator import simulate

    root = tmp_path_factory.mktemp("experiments")
    truth = simulate(root / "landing", START, DAYS, SCALE, SEED)
    warehouse = root / "warehouse.duckdb"
    loads = ingest(warehouse, root / "landing", run_id="experiments")
    assert all(d.status == "loaded" for load in loads.values() for d in load.deliveries)
    run = run_dbt(
        ["build", "--select", "+kpi_experiment_results", "--indirect-selection", "cautious"],
        warehouse,
        root / "dbt",
    )
    assert set(run.statuses().values()) <= {"success", "pass"}
    assert any(k.startswith("test.") for k in run.statuses()), "no data test ran"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        yield con.execute("select * from marts.kpi_experiment_results").df(), truth
    finally:
        con.close()


def test_the_stretch_holds_the_2015_experiment(
    experiment_build: tuple[pd.DataFrame, dict[str, Any]],
) -> None:
    results, truth = experiment_build
    assert set(truth["experiments"]) == {"exp_d11_venue_2015"}
    assert set(results.experiment_id) == {"exp_d11_venue_2015"}
    assert results[results.segment == "all"].visitors.sum() > 10_000


def test_relative_lift_intervals_cover_the_planted_lift(
    experiment_build: tuple[pd.DataFrame, dict[str, Any]],
) -> None:
    results, truth = experiment_build
    for eid, e in truth["experiments"].items():
        treated = results[
            (results.experiment_id == eid) & (results.segment == "all") & ~results.is_control
        ]
        assert len(treated) == len(e["planted_rel_lift"]) - 1
        for row in treated.itertuples():
            planted = e["planted_rel_lift"][row.variant]
            assert row.rel_lift_ci_low <= planted <= row.rel_lift_ci_high, (
                f"{eid}/{row.variant}: planted {planted} outside "
                f"[{row.rel_lift_ci_low:.3f}, {row.rel_lift_ci_high:.3f}]"
            )
            assert row.p_value < 0.05  # planted lifts of 30% and 80% are detectable at 0.1


def test_cells_equal_the_realized_truth(
    experiment_build: tuple[pd.DataFrame, dict[str, Any]],
) -> None:
    results, truth = experiment_build
    for row in results.itertuples():
        realized = truth["experiments"][row.experiment_id]["realized"][row.variant][row.segment]
        assert (row.visitors, row.converters) == (realized["visitors"], realized["converters"])


def test_statistics_agree_with_statsmodels_and_scipy(
    experiment_build: tuple[pd.DataFrame, dict[str, Any]],
) -> None:
    results, truth = experiment_build
    for (eid, segment), cell in results.groupby(["experiment_id", "segment"]):
        control = cell[cell.is_control].iloc[0]
        n0, x0 = int(control.visitors), int(control.converters)
        for row in cell[~cell.is_control].itertuples():
            n1, x1 = int(row.visitors), int(row.converters)
            _, p = proportions_ztest([x1, x0], [n1, n0], prop_var=False)
            diff = confint_proportions_2indep(x1, n1, x0, n0, method="wald", compare="diff")
            ratio = confint_proportions_2indep(x1, n1, x0, n0, method="log", compare="ratio")
            assert row.p_value == pytest.approx(p, rel=1e-9), (eid, segment, row.variant)
            assert (row.abs_lift_ci_low, row.abs_lift_ci_high) == pytest.approx(diff, rel=1e-9)
            assert (row.rel_lift_ci_low + 1, row.rel_lift_ci_high + 1) == pytest.approx(
                ratio, rel=1e-9
            )
        if segment == "all":
            allocation = truth["experiments"][eid]["allocation"]
            observed = cell.set_index("variant").visitors[list(allocation)].to_numpy()
            expected = observed.sum() * np.array(list(allocation.values()))
            _, srm_p = stats.chisquare(observed, expected)
            assert cell.srm_p_value.to_numpy() == pytest.approx(np.full(len(cell), srm_p))
            assert not cell.srm_flag.any()
