"""The lower-bound scripts and the pandas peer are independent implementations of the KPI
marts: on the shared two-year warehouse they must compute exactly what dbt computed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest

from shopsight import contract
from shopsight import warehouse as wh
from shopsight.bench import compare, lower_bound, peer
from shopsight.settings import Settings


def _published(settings: Settings, mart: str) -> Any:
    with wh.connect(settings.serving, read_only=True) as con:
        return con.execute(f"select * from marts.{mart}").df()


@pytest.fixture(scope="module")
def lower_bound_on_pipeline_raw(
    published_serving: Settings, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """The lower-bound scripts run on the pipeline warehouse's own raw tables."""
    scratch = tmp_path_factory.mktemp("lower_bound") / "lb.duckdb"
    with wh.connect(scratch) as con:
        lower_bound.attach_raw(con, published_serving.warehouse)
        lower_bound.build_marts(con)
        return {
            m: con.execute(f"select * from {lower_bound.SCHEMA}.{m}").df()
            for m in lower_bound.mart_scripts()
        }


def test_every_catalogue_mart_has_a_lower_bound_script() -> None:
    assert set(lower_bound.mart_scripts()) == set(compare.MART_KEYS)


@pytest.mark.parametrize("mart", sorted(compare.MART_KEYS))
def test_lower_bound_script_equals_dbt_mart(
    mart: str, published_serving: Settings, lower_bound_on_pipeline_raw: dict[str, Any]
) -> None:
    ours = lower_bound_on_pipeline_raw[mart]
    theirs = _published(published_serving, mart)
    assert len(theirs) > 0, f"marts.{mart} is empty: nothing would be compared"
    shared = [c for c in ours.columns if c in theirs.columns]
    assert len(shared) > len(compare.MART_KEYS[mart]), f"{mart}: no value columns in common"
    assert compare.diff_marts(theirs, ours, compare.MART_KEYS[mart]) == []


def test_lower_bound_loader_reads_every_landed_row(
    published_serving: Settings, tmp_path: Path
) -> None:
    """Straight from the landing files, the loader sees every row ingestion counted as landed."""
    with wh.connect(tmp_path / "lb.duckdb") as con:
        loaded = lower_bound.load_landing(con, published_serving.landing_dir)
    with wh.connect(published_serving.warehouse, read_only=True) as con:
        landed = dict(
            con.execute(
                "select entity, sum(landed_rows) from ops.deliveries group by entity"
            ).fetchall()
        )
    assert set(loaded) == {e.name for e in contract.ENTITIES}
    assert {e: n for e, n in loaded.items() if n} == {e: int(n) for e, n in landed.items() if n}


def test_lower_bound_on_its_own_load_equals_dbt(
    published_serving: Settings, tmp_path: Path
) -> None:
    """The timed path of the benchmark (load the landing files, then the scripts) agrees too."""
    with wh.connect(tmp_path / "lb.duckdb") as con:
        lower_bound.load_landing(con, published_serving.landing_dir)
        lower_bound.build_marts(con)
        for mart in ("kpi_overview_daily", "kpi_experiment_results", "kpi_content_uv_growth"):
            ours = con.execute(f"select * from {lower_bound.SCHEMA}.{mart}").df()
            theirs = _published(published_serving, mart)
            assert compare.diff_marts(theirs, ours, compare.MART_KEYS[mart]) == [], mart


@pytest.fixture(scope="module")
def peer_marts(published_serving: Settings) -> dict[str, Any]:
    return peer.run(published_serving.landing_dir)


@pytest.mark.parametrize(
    "mart", ["kpi_overview_daily", "kpi_mobile_share_daily", "kpi_experiment_results"]
)
def test_peer_equals_dbt_mart(
    mart: str, published_serving: Settings, peer_marts: dict[str, Any]
) -> None:
    theirs = _published(published_serving, mart)
    assert len(theirs) > 0
    assert compare.diff_marts(theirs, peer_marts[mart], compare.MART_KEYS[mart]) == []


def test_diff_marts_finds_a_changed_value_a_missing_row_and_a_duplicate() -> None:
    con = duckdb.connect()
    left = con.execute(
        "select * from (values (date '2015-01-01', 1.0, 'a'), (date '2015-01-02', 2.0, 'b')) "
        "t(date, gmv, festival)"
    ).df()
    assert compare.diff_marts(left, left.copy(), ("date",)) == []
    changed = left.copy()
    changed.loc[1, "gmv"] = 2.001
    assert any(
        p.startswith("gmv: 1 rows differ") for p in compare.diff_marts(left, changed, ("date",))
    )
    tiny = left.copy()
    tiny.loc[1, "gmv"] = 2.0 + 1e-9  # summation noise is not a difference
    assert compare.diff_marts(left, tiny, ("date",)) == []
    assert any("only on the left" in p for p in compare.diff_marts(left, left.iloc[:1], ("date",)))
    doubled = left.iloc[[0, 0, 1]]
    assert any("duplicate keys" in p for p in compare.diff_marts(left, doubled, ("date",)))
    renamed = left.assign(festival=["a", "c"])
    assert any(p.startswith("festival:") for p in compare.diff_marts(left, renamed, ("date",)))
