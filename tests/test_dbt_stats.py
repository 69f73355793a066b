"""The experiment statistics, written in portable SQL, against scipy and statsmodels.

Two levels: the SQL macros themselves (complementary error function, normal CDF, chi-square
tail) over a grid of arguments, and `kpi_experiment_results` end to end over hand-built raw
rows with known counts (one experiment split as planned, one with a broken split that the
sample-ratio check must flag).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pytest
from scipy import special, stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

from tests.dbt_support import create_empty_raw, run_dbt

START = datetime(2016, 6, 1, tzinfo=UTC)
END = START + timedelta(days=10)
LOADED = datetime(2016, 6, 20, tzinfo=UTC)


@dataclass(frozen=True)
class Arm:
    """Visitors of one variant: how many are new and returning, and how many of each convert."""

    new: int
    new_converters: int
    returning: int
    returning_converters: int


# experiment -> (allocation, control, arms). x_fair follows its plan; x_skew does not.
EXPERIMENTS: dict[str, tuple[dict[str, float], str, dict[str, Arm]]] = {
    "x_fair": (
        {"a": 0.5, "b": 0.5},
        "a",
        {"a": Arm(700, 35, 300, 27), "b": Arm(690, 48, 310, 37)},
    ),
    "x_skew": (
        {"control": 0.5, "t1": 0.3, "t2": 0.2},
        "control",
        {"control": Arm(400, 20, 100, 9), "t1": Arm(150, 12, 50, 6), "t2": Arm(250, 9, 50, 2)},
    ),
}


def _lineage(n: int, dt: datetime, name: str) -> dict[str, Any]:
    return {
        "_source_file": [f"test/{name}.csv"] * n,
        "_row_number": list(range(1, n + 1)),
        "_dt": [dt.date()] * n,
        "_loaded_at": [LOADED] * n,
    }


def _raw_frames() -> dict[str, pd.DataFrame]:
    """Raw experiments, sessions and orders whose counts are exactly those of EXPERIMENTS."""
    experiments, sessions, orders = [], [], []
    for eid, (allocation, control, arms) in EXPERIMENTS.items():
        experiments.append(
            {"experiment_id": eid, "experiment_name": eid, "start_ts": START, "end_ts": END,
             "control_variant": control, "allocation": json.dumps(allocation)}
        )  # fmt: skip
        for variant, arm in arms.items():
            groups = (("new", arm.new, arm.new_converters),
                      ("ret", arm.returning, arm.returning_converters))  # fmt: skip
            for segment, visitors, converters in groups:
                for i in range(visitors):
                    visitor = f"{eid}-{variant}-{segment}-{i}"
                    buyer = f"B-{visitor}" if segment == "ret" else None
                    ts = START + timedelta(hours=1 + i % 200)
                    sessions.append(
                        {"session_id": f"S-{visitor}", "visitor_id": visitor, "buyer_id": buyer,
                         "session_start_ts": ts, "experiment_id": eid, "variant": variant}
                    )  # fmt: skip
                    if buyer:  # the order that makes the visitor returning: 100 days before
                        orders.append({"order_id": f"O0-{visitor}", "buyer_id": buyer,
                                       "session_id": f"OLD-{visitor}",
                                       "order_ts": START - timedelta(days=100)})  # fmt: skip
                    if i < converters:
                        orders.append({"order_id": f"O1-{visitor}", "buyer_id": buyer or visitor,
                                       "session_id": f"S-{visitor}",
                                       "order_ts": ts + timedelta(minutes=5)})  # fmt: skip
    exp = pd.DataFrame(experiments)
    ses = pd.DataFrame(sessions).assign(
        terminal="mobile_app", traffic_source="search", landing_page="venue", content_id=None,
        page_views=1,
    )  # fmt: skip
    ords = pd.DataFrame(orders).assign(
        brand_id="BR0001", terminal="mobile_app", traffic_source="search", store_id=None,
        fulfilment="warehouse_ship", status="paid", order_amount=10.0, discount_amount=0.0,
        currency="CNY",
    )  # fmt: skip
    ords["updated_at"] = ords["order_ts"]
    return {
        "experiments": exp.assign(**_lineage(len(exp), START, "experiments")),
        "sessions": ses.assign(**_lineage(len(ses), START, "sessions")),
        "orders": ords.assign(**_lineage(len(ords), START, "orders")),
    }


@pytest.fixture(scope="module")
def stats_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("dbt_stats")
    warehouse = root / "warehouse.duckdb"
    create_empty_raw(warehouse)
    con = duckdb.connect(str(warehouse))
    try:
        for table, frame in _raw_frames().items():
            cols = [r[0] for r in con.execute(f"describe raw.{table}").fetchall()]
            con.register("frame", frame[cols])
            con.execute(f"insert into raw.{table} select * from frame")
            con.unregister("frame")
    finally:
        con.close()
    run_dbt(["run", "--select", "+kpi_experiment_results"], warehouse, root / "dbt")
    return warehouse, root / "dbt"


@pytest.fixture(scope="module")
def results(stats_warehouse: tuple[Path, Path]) -> pd.DataFrame:
    con = duckdb.connect(str(stats_warehouse[0]), read_only=True)
    try:
        return con.execute("select * from marts.kpi_experiment_results").df()
    finally:
        con.close()


def _expected_counts(arm: Arm, segment: str) -> tuple[int, int]:
    if segment == "new":
        return arm.new, arm.new_converters
    if segment == "returning":
        return arm.returning, arm.returning_converters
    return arm.new + arm.returning, arm.new_converters + arm.returning_converters


def test_cells_count_units_and_converters(results: pd.DataFrame) -> None:
    assert len(results) == sum(3 * len(arms) for _, _, arms in EXPERIMENTS.values())
    for row in results.itertuples():
        allocation, control, arms = EXPERIMENTS[row.experiment_id]
        assert (row.visitors, row.converters) == _expected_counts(arms[row.variant], row.segment)
        assert row.is_control == (row.variant == control)
        assert row.planned_weight == pytest.approx(allocation[row.variant])


def test_lift_statistics_match_statsmodels(results: pd.DataFrame) -> None:
    checked = 0
    for row in results.itertuples():
        _, control, arms = EXPERIMENTS[row.experiment_id]
        if row.is_control:
            assert pd.isna(row.p_value) and pd.isna(row.abs_lift) and pd.isna(row.rel_lift_ci_low)
            continue
        n1, x1 = _expected_counts(arms[row.variant], row.segment)
        n0, x0 = _expected_counts(arms[control], row.segment)
        _, p = proportions_ztest([x1, x0], [n1, n0], alternative="two-sided", prop_var=False)
        diff_low, diff_high = confint_proportions_2indep(
            x1, n1, x0, n0, method="wald", compare="diff", alpha=0.05
        )
        ratio_low, ratio_high = confint_proportions_2indep(
            x1, n1, x0, n0, method="log", compare="ratio", alpha=0.05
        )
        assert row.abs_lift == pytest.approx(x1 / n1 - x0 / n0, rel=1e-12)
        assert row.rel_lift == pytest.approx((x1 / n1) / (x0 / n0) - 1, rel=1e-12)
        assert row.p_value == pytest.approx(p, rel=1e-9)
        assert (row.abs_lift_ci_low, row.abs_lift_ci_high) == pytest.approx(
            (diff_low, diff_high), rel=1e-9
        )
        assert (row.rel_lift_ci_low, row.rel_lift_ci_high) == pytest.approx(
            (ratio_low - 1, ratio_high - 1), rel=1e-9
        )
        checked += 1
    assert checked == 9  # (1 + 2 treatment variants) x 3 segments


def test_sample_ratio_mismatch_against_scipy(results: pd.DataFrame) -> None:
    flags = {}
    for eid, (allocation, _, arms) in EXPERIMENTS.items():
        rows = results[(results.experiment_id == eid) & (results.segment == "all")]
        variants = list(allocation)
        observed = np.array([_expected_counts(arms[v], "all")[0] for v in variants])
        expected = observed.sum() * np.array([allocation[v] for v in variants])
        chi2, p = stats.chisquare(observed, expected)
        assert rows.srm_p_value.to_numpy() == pytest.approx(np.full(len(rows), p), rel=1e-9)
        assert rows.srm_chi_square.iloc[0] == pytest.approx(chi2, rel=1e-12)
        flags[eid] = set(rows.srm_flag)
        other = results[(results.experiment_id == eid) & (results.segment != "all")]
        assert other.srm_p_value.isna().all() and other.srm_flag.isna().all()
    assert flags == {"x_fair": {False}, "x_skew": {True}}


def test_sql_special_functions_match_scipy(stats_warehouse: tuple[Path, Path]) -> None:
    """erfc, the normal CDF and the chi-square tail (1-9 degrees of freedom) over a grid that
    crosses every branch of the approximation, to 1e-12 relative error."""
    warehouse, work = stats_warehouse
    sql = run_dbt(
        ["compile", "--quiet", "--inline",
         "select x, k, {{ erfc('x') }} as erfc, {{ normal_cdf('x') }} as phi, "
         "{{ chi_square_sf('abs(x) * 3', 'k') }} as chi2_sf from grid"],
        warehouse, work,
    ).output  # fmt: skip
    sql = sql[sql.index("select") :]
    xs = np.concatenate([np.linspace(-12.0, 12.0, 2401), [0.0, 1e-12, 0.46875, 4.0, -4.0, 26.0]])
    grid = pd.DataFrame(
        {"x": np.tile(xs, 9), "k": np.repeat(np.arange(1, 10), len(xs))}
    )  # fmt: skip
    con = duckdb.connect()
    con.register("grid", grid)
    got = con.execute(sql).df()
    x, k = got.x.to_numpy(), got.k.to_numpy()

    def rel_err(a: np.ndarray, b: np.ndarray) -> float:
        mask = b > 1e-300
        return float(np.max(np.abs(a[mask] - b[mask]) / b[mask]))

    assert rel_err(got.erfc.to_numpy(), special.erfc(x)) < 1e-12
    assert rel_err(got.phi.to_numpy(), stats.norm.cdf(x)) < 1e-12
    assert rel_err(got.chi2_sf.to_numpy(), stats.chi2.sf(np.abs(x) * 3, k)) < 1e-12
