"""Incremental dbt runs give exactly the marts of a full refresh.

A small simulated stretch (October to mid-November 2015: Double 11, its experiment, late rows,
identity links made after the events they explain) is ingested in three batches, with an
incremental `dbt build` after each: the first batch builds from scratch, the second relies on
the models' own look-back, the third gets a pinned `min_date` as the Dagster run passes it. A
copy of that warehouse is then rebuilt with `--full-refresh`, and every table of `marts` (and
the incremental intermediate tables) must be identical, row for row (doubles to 1e-9: DuckDB's
parallel float sums are not bit-reproducible).
"""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from orchestration.assets.dbt import MIN_DATE_ENV
from shopsight.ingest import ingest
from tests.dbt_support import DbtRun, differences, read_table, run_dbt, tables_in

START = date(2015, 10, 1)
DAYS = 50
BATCHES = ((None, date(2015, 10, 31)), (date(2015, 11, 1), date(2015, 11, 8)))
LAST_BATCH = (date(2015, 11, 9), START + timedelta(days=DAYS - 1))
INCREMENTAL_MODELS = (
    "int_content_events__resolved",
    "int_sessions__converted",
    "int_order_lines__attributed",
    "int_sessions__daily_traffic",
    "int_content_events__daily_reach",
    "int_content_events__creator_reach",
    "int_content_events__account_years",
    "int_buyers__monthly_states",
)
# Staging tables kept one row per key out of versions delivered over time.
KEYED_STAGING = (
    "stg_sales__orders",
    "stg_sales__order_items",
    "stg_sales__shipments",
    "stg_content__content_items",
)
# Columns that record which run wrote a row (and, for a late-link repair, what the row said
# before): they differ between runs by design.
RUN_LINEAGE = ("built_at", "previous_person_id", "previous_built_at")
# Build everything but the data tests (they run in the integration tests); seeds included.
BUILD = ["build", "--exclude", "resource_type:test", "resource_type:unit_test"]


def _ingest(warehouse: Path, landing: Path, dt_from: date | None, dt_through: date) -> None:
    loads = ingest(warehouse, landing, run_id=f"batch-{dt_through}", dt_from=dt_from,
                   dt_through=dt_through)  # fmt: skip
    failed = [d for load in loads.values() for d in load.deliveries if d.status != "loaded"]
    assert not failed, f"deliveries failed to load: {failed}"


@pytest.fixture(scope="module")
def builds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from shopsight.simulator import simulate

    root = tmp_path_factory.mktemp("incremental")
    landing = root / "landing"
    simulate(landing, START, DAYS, 0.01, 11)
    incremental = root / "incremental.duckdb"
    runs: list[DbtRun] = []
    for dt_from, dt_through in BATCHES:
        _ingest(incremental, landing, dt_from, dt_through)
        runs.append(run_dbt(BUILD, incremental, root / "dbt_incremental"))
    _ingest(incremental, landing, *LAST_BATCH)
    pinned = {"min_date": (LAST_BATCH[0] - timedelta(days=7)).isoformat()}
    runs.append(run_dbt(BUILD, incremental, root / "dbt_incremental", dbt_vars=pinned))

    full = root / "full.duckdb"
    shutil.copyfile(incremental, full)
    run_dbt([*BUILD, "--full-refresh"], full, root / "dbt_full")
    return {"incremental": incremental, "full": full, "runs": runs, "first_late": LAST_BATCH[0]}


def _differing(
    inc: duckdb.DuckDBPyConnection, full: duckdb.DuckDBPyConnection, relations: list[str]
) -> list[str]:
    """The relations whose rows differ between the incremental and the full-refresh warehouse
    (RUN_LINEAGE aside), each with its first differences."""
    differing = []
    for relation in relations:
        a = read_table(inc, relation, drop=RUN_LINEAGE)
        b = read_table(full, relation, drop=RUN_LINEAGE)
        if found := differences(a, b):
            differing.append(f"{relation} (incremental, full): " + "; ".join(found[:3]))
    return differing


def _rewritten_of(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, int]:
    """(rows the newest build of `relation` wrote, all its rows), by `built_at`."""
    row = con.execute(
        f"select count(*) filter (where built_at = (select max(built_at) from {relation})), "
        f"count(*) from {relation}"
    ).fetchone()
    assert row is not None
    return row[0], row[1]


def _compiled(run: DbtRun, model: str) -> str:
    return next(r["compiled_code"] for r in run.results if r["unique_id"].endswith("." + model))


def test_later_runs_were_incremental(builds: dict[str, Any]) -> None:
    """The first run built from scratch; the later ones took the incremental branch (with its
    repair of re-identified days), the last with the window Dagster pins."""
    first, *later = builds["runs"]
    markers = {
        "int_content_events__resolved": "relinked_groups",
        "int_sessions__converted": "relinked_days",
        "int_order_lines__attributed": "reclicked_groups",
        "fct_sessions": "last_built_at",
        "kpi_content_daily": "last_built_at",
        "int_sessions__daily_traffic": "last_built_at",
        "int_content_events__daily_reach": "last_built_at",
        "int_content_events__creator_reach": "last_built_at",
        "int_content_events__account_years": "window_bounds",
        "kpi_content_uv_growth": "recounted",
        "int_buyers__monthly_states": "changed_buyers",
        "fct_orders": "touched",
        **{model: "as touched" for model in KEYED_STAGING},
    }
    for model, marker in markers.items():
        assert marker not in _compiled(first, model)
        for run in later:
            assert marker in _compiled(run, model), f"{model} did not run incrementally"
    pinned = f"cast('{LAST_BATCH[0] - timedelta(days=7)}' as date)"
    assert pinned in _compiled(later[-1], "int_sessions__converted")
    assert pinned not in _compiled(later[0], "int_sessions__converted")


def test_the_stretch_holds_late_links(builds: dict[str, Any]) -> None:
    """Links delivered in the incremental batches re-identify people seen before them, so the
    test exercises the repair of old days, not only the look-back."""
    con = duckdb.connect(str(builds["incremental"]), read_only=True)
    try:
        relinked = con.execute(
            """
            select count(*) from raw.identity_links as l
            where l._dt >= ? and (
                exists (select 1 from raw.content_events as e
                        where e.platform = l.platform and e.platform_user_id = l.platform_user_id
                          and e._dt < l._dt - 7)
                or exists (select 1 from raw.sessions as s
                           where l.platform = 'taobao' and s.visitor_id = l.platform_user_id
                             and s.buyer_id is null and s._dt < l._dt - 7))
            """,
            [BATCHES[1][0]],
        ).fetchone()[0]
    finally:
        con.close()
    assert relinked > 0


def test_incremental_marts_equal_full_refresh(builds: dict[str, Any]) -> None:
    inc = duckdb.connect(str(builds["incremental"]), read_only=True)
    full = duckdb.connect(str(builds["full"]), read_only=True)
    try:
        marts = tables_in(full, "marts")
        assert "kpi_overview_daily" in marts and len(marts) >= 20
        assert tables_in(inc, "marts") == marts
        relations = [f"marts.{t}" for t in marts]
        relations += [f"intermediate.{m}" for m in INCREMENTAL_MODELS]
        relations += [f"staging.{m}" for m in KEYED_STAGING]
        differing = _differing(inc, full, relations)
        rows = inc.execute("select count(*) from marts.kpi_overview_daily").fetchone()[0]
    finally:
        inc.close()
        full.close()
    assert not differing, "\n".join(differing)
    assert rows == DAYS


# The unique_id fragment of stg_channel__sessions' one not-null test (`not_null_<model>.<hash>`).
SESSIONS_NOT_NULL = "not_null_stg_channel__sessions."


def _plant(warehouse: Path, *statements: str) -> None:
    """Execute `statements` (bad rows planted) on `warehouse`."""
    con = duckdb.connect(str(warehouse))
    try:
        for statement in statements:
            con.execute(statement)
    finally:
        con.close()


def _planted_copy(source: Path, warehouse: Path, *statements: str) -> Path:
    """A copy of the warehouse `source` with `statements` executed on it (`_plant`)."""
    shutil.copyfile(source, warehouse)
    _plant(warehouse, *statements)
    return warehouse


def _sessions_not_null_status(run: DbtRun) -> str:
    return next(status for uid, status in run.statuses("test").items() if SESSIONS_NOT_NULL in uid)


def test_windowed_runs_test_only_their_window(builds: dict[str, Any], tmp_path: Path) -> None:
    """A run with `min_date` tests the big incremental models' window only (macros/
    test_window.sql); without it, every row. A bad row before the window is seen only by the
    full test; one inside the window fails the windowed test too."""
    warehouse = tmp_path / "planted.duckdb"
    shutil.copyfile(builds["incremental"], warehouse)
    window_start = builds["first_late"] - timedelta(days=7)
    window = {"min_date": window_start.isoformat()}
    select = ["test", "--select", "stg_channel__sessions"]

    def plant(day_filter: str) -> None:
        _plant(
            warehouse,
            "insert into staging.stg_channel__sessions "
            "select * replace (null as session_id) from staging.stg_channel__sessions "
            f"where {day_filter} limit 1",
        )

    plant(f"session_date < date '{window_start}'")
    windowed = run_dbt(select, warehouse, tmp_path / "dbt", dbt_vars=window, check=False)
    full = run_dbt(select, warehouse, tmp_path / "dbt", check=False)
    assert _sessions_not_null_status(windowed) == "pass"
    assert _sessions_not_null_status(full) == "fail"
    compiled = next(
        r["compiled_code"] for r in windowed.results
        if SESSIONS_NOT_NULL in r["unique_id"]
    )  # fmt: skip
    assert f"session_date >= cast('{window_start}' as date)" in compiled

    plant(f"session_date >= date '{window_start}'")
    windowed_again = run_dbt(select, warehouse, tmp_path / "dbt", dbt_vars=window, check=False)
    assert _sessions_not_null_status(windowed_again) == "fail"


def test_one_not_null_test_names_each_null_column(builds: dict[str, Any], tmp_path: Path) -> None:
    """A model's required columns are checked by one `not_null_columns` test
    (data_tests/generic/not_null_columns.sql): it fails with one row per column holding nulls,
    with their count, and passes over columns without any."""
    warehouse = _planted_copy(
        builds["incremental"],
        tmp_path / "nulls.duckdb",
        "insert into staging.stg_channel__sessions select * replace "
        "(null as visitor_id, null as page_views) from staging.stg_channel__sessions limit 3",
        "insert into staging.stg_channel__sessions select * replace (null as visitor_id) "
        "from staging.stg_channel__sessions where visitor_id is not null limit 2",
    )
    test = ["test", "--select", "not_null_stg_channel__sessions", "--store-failures"]
    run = run_dbt(test, warehouse, tmp_path / "dbt", check=False)
    result = next(r for r in run.results if SESSIONS_NOT_NULL in r["unique_id"])
    assert result["status"] == "fail" and result["failures"] == 2
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        audit = con.execute(
            "select table_schema from information_schema.tables "
            "where table_name = 'not_null_stg_channel__sessions'"
        ).fetchone()
        assert audit is not None, "dbt stored no failures"
        rows = con.execute(
            f"select column_name, null_rows from {audit[0]}.not_null_stg_channel__sessions "
            "order by column_name"
        ).fetchall()
    finally:
        con.close()
    assert rows == [("page_views", 3), ("visitor_id", 5)]


def test_window_from_the_environment_keeps_partial_parsing(
    builds: dict[str, Any], tmp_path: Path
) -> None:
    """Dagster pins the window with SHOPSIGHT_DBT_MIN_DATE (orchestration/assets/dbt.py), not
    `--vars`: the window applies the same, and a new day's window does not make dbt re-parse
    the project, which a new `--vars` value does (the control below)."""
    warehouse = tmp_path / "window.duckdb"
    shutil.copyfile(builds["incremental"], warehouse)
    select = ["test", "--select", "stg_channel__sessions"]
    work = tmp_path / "dbt"
    reparsed = "Unable to do partial parsing"
    first_day = builds["first_late"] - timedelta(days=7)
    for day in (first_day, first_day + timedelta(days=1)):
        run = run_dbt(select, warehouse, work, env={MIN_DATE_ENV: day.isoformat()})
        compiled = next(
            r["compiled_code"] for r in run.results
            if SESSIONS_NOT_NULL in r["unique_id"]
        )  # fmt: skip
        assert f"session_date >= cast('{day}' as date)" in compiled
    assert reparsed not in run.output, run.output[-3000:]

    control = run_dbt(select, warehouse, work, dbt_vars={"min_date": first_day.isoformat()})
    assert reparsed in control.output


def test_windowed_build_tests_the_rows_it_wrote(builds: dict[str, Any], tmp_path: Path) -> None:
    """Tests of models stamped with `built_at` look, on a run with `min_date`, at the rows that
    invocation wrote: the rebuilt window (and repaired days), not a bad row left from before."""
    warehouse = _planted_copy(
        builds["incremental"],
        tmp_path / "planted.duckdb",
        "insert into marts.fct_sessions select * replace (null as session_id) "
        "from marts.fct_sessions limit 1",
    )
    window = {"min_date": (builds["first_late"] - timedelta(days=7)).isoformat()}
    build = ["build", "--select", "int_sessions__converted", "fct_sessions",
             "--exclude", "resource_type:unit_test"]  # fmt: skip
    windowed = run_dbt(build, warehouse, tmp_path / "dbt", dbt_vars=window, check=False)
    name = "not_null_fct_sessions."
    result = next(r for r in windowed.results if name in r["unique_id"])
    assert result["status"] == "pass"
    assert "built_at = cast(" in result["compiled_code"]

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        written, _ = _rewritten_of(con, "marts.fct_sessions")
    finally:
        con.close()
    assert written > 0  # the window's rows were rebuilt, so the windowed tests saw rows
    full = run_dbt(["test", "--select", "fct_sessions"], warehouse, tmp_path / "dbt", check=False)
    assert full.statuses("test")[result["unique_id"]] == "fail"


def test_windowed_build_recounts_the_traffic_of_the_days_it_rebuilt(
    builds: dict[str, Any], tmp_path: Path
) -> None:
    """`assert_overview_traffic_matches_sessions` on a run with a pinned window recounts only
    the days whose sessions the run rebuilt: a wrong count left on an older day is the full
    test's to find, a wrong count on a rebuilt day fails the windowed run."""
    warehouse = tmp_path / "traffic.duckdb"
    shutil.copyfile(builds["incremental"], warehouse)
    window_start = builds["first_late"] - timedelta(days=7)
    test_name = "assert_overview_traffic_matches_sessions"

    def plant(day: date) -> None:
        # In the per-day rollup, which the overview copies and a windowed build leaves alone
        # on the days it does not rebuild.
        con = duckdb.connect(str(warehouse))
        try:
            changed = con.execute(
                "update intermediate.int_sessions__daily_traffic "
                "set visitors = visitors + 1 where session_date = ? returning 1",
                [day],
            ).fetchall()
        finally:
            con.close()
        assert len(changed) == 1

    def windowed_build(*models: str) -> str:
        build = ["build", "--select", *models, "--exclude", "resource_type:unit_test"]
        run = run_dbt(build, warehouse, tmp_path / "dbt",
                      env={MIN_DATE_ENV: window_start.isoformat()}, check=False)  # fmt: skip
        return next(r["status"] for r in run.results if test_name in r["unique_id"])

    plant(window_start - timedelta(days=10))
    sessions = ("int_sessions__converted", "fct_sessions")
    assert windowed_build(*sessions, "int_sessions__daily_traffic", "kpi_overview_daily") == "pass"
    full = run_dbt(["test", "--select", test_name], warehouse, tmp_path / "dbt", check=False)
    assert set(full.statuses("test").values()) == {"fail"}

    plant(window_start + timedelta(days=2))  # the rollup is not rebuilt: its wrong count stays
    assert windowed_build(*sessions, "kpi_overview_daily") == "fail"


def test_keyed_staging_follows_redelivered_versions(builds: dict[str, Any], tmp_path: Path) -> None:
    """The sales staging tables, fct_orders and the buyers' monthly states rewrite only the keys
    (buyers) their window touched, and still end as a full refresh does when a delivery in the
    window refunds an order a month old, re-sends a stale version of another (an older
    updated_at, which must lose), cancels a buyer's first order (their history now starts a
    month later), withdraws an order it held (a re-delivered folder without it: the order, its
    lines and its lone buyer must go) and withdraws another order's shipment (the order stays,
    unshipped)."""
    incremental = tmp_path / "incremental.duckdb"
    shutil.copyfile(builds["incremental"], incremental)
    last_day = LAST_BATCH[1]
    con = duckdb.connect(str(incremental))
    try:
        old, stale = (r[0] for r in con.execute(
            "select order_id from staging.stg_sales__orders where status = 'paid' "
            "and order_date < date '2015-10-15' order by order_id limit 2"
        ).fetchall())  # fmt: skip
        # the only order of its buyer: the buyer must leave the monthly states too
        withdrawn, lone_buyer = con.execute(
            "select order_id, any_value(buyer_id) from raw.orders group by order_id "
            "having count(*) = 1 and min(_dt) >= ? and any_value(buyer_id) in ("
            "select buyer_id from raw.orders group by buyer_id "
            "having count(distinct order_id) = 1) order by order_id limit 1",
            [LAST_BATCH[0]],
        ).fetchone()
        con.execute(
            "insert into raw.orders select * replace ('refunded' as status, "
            "updated_at + interval 30 day as updated_at, ? as _dt) "
            "from raw.orders where order_id = ?",
            [last_day, old],
        )
        con.execute(
            "insert into raw.orders select * replace (order_amount + 1 as order_amount, "
            "updated_at - interval 1 hour as updated_at, ? as _dt) "
            "from raw.orders where order_id = ?",
            [last_day, stale],
        )
        for entity in ("orders", "order_items", "shipments"):
            con.execute(f"delete from raw.{entity} where order_id = ?", [withdrawn])
        # a buyer's first counted order (their only one in October) cancelled by a version
        # delivered in the window: their monthly states must start in November now
        moved_buyer, first_order = con.execute(
            "select buyer_id, min(order_id) filter (where month(order_date) = 10) "
            "from staging.stg_sales__orders where status in ('paid', 'refunded') "
            "and order_id not in (?, ?) group by buyer_id "
            "having count(*) filter (where month(order_date) = 10) = 1 "
            "and count(*) filter (where month(order_date) = 11) >= 1 order by buyer_id limit 1",
            [old, stale],
        ).fetchone()
        con.execute(
            "insert into raw.orders select * replace ('cancelled' as status, "
            "updated_at + interval 30 day as updated_at, ? as _dt) "
            "from raw.orders where order_id = ?",
            [last_day, first_order],
        )
        # an order delivered before the window, whose shipment a re-delivered folder in the
        # window withdraws: nothing about the order itself is rewritten
        unshipped = con.execute(
            "select order_id from raw.shipments group by order_id having min(_dt) >= ? "
            "and order_id in (select order_id from raw.orders group by order_id "
            "having max(_dt) < ?) order by order_id limit 1",
            [LAST_BATCH[0] - timedelta(days=7), LAST_BATCH[0] - timedelta(days=7)],
        ).fetchone()[0]
        con.execute("delete from raw.shipments where order_id = ?", [unshipped])
    finally:
        con.close()
    full = tmp_path / "full.duckdb"
    shutil.copyfile(incremental, full)

    sales = [m for m in KEYED_STAGING if m.startswith("stg_sales__")]
    select = ["--select", *(f"{m}+" for m in sales)]
    window_start = LAST_BATCH[0] - timedelta(days=7)
    window = {"min_date": window_start.isoformat()}
    windowed = run_dbt([*BUILD, *select], incremental, tmp_path / "dbt", dbt_vars=window)
    assert "as touched" in _compiled(windowed, "stg_sales__orders")
    run_dbt([*BUILD, *select, "--full-refresh"], full, tmp_path / "dbt_full")

    inc = duckdb.connect(str(incremental), read_only=True)
    ref = duckdb.connect(str(full), read_only=True)
    try:
        relations = [f"staging.{m}" for m in sales] + [
            "marts.fct_orders",
            "intermediate.int_buyers__monthly_states",
            "marts.kpi_customer_lifecycle_monthly",
        ]
        differing = _differing(inc, ref, relations)
        states = dict(inc.execute(
            "select order_id, status from staging.stg_sales__orders where order_id in (?, ?, ?)",
            [old, stale, withdrawn],
        ).fetchall())  # fmt: skip
        lines_left = inc.execute(
            "select count(*) from staging.stg_sales__order_items where order_id = ?", [withdrawn]
        ).fetchone()[0]
        rewritten, kept = _rewritten_of(inc, "staging.stg_sales__orders")
        delivered_in_window = inc.execute(
            "select count(distinct order_id) from raw.orders where _dt >= ?", [window_start]
        ).fetchone()[0]
        facts_rewritten, facts = _rewritten_of(inc, "marts.fct_orders")
        shipped = inc.execute(
            "select is_shipped from marts.fct_orders where order_id = ?", [unshipped]
        ).fetchone()
        withdrawn_facts = inc.execute(
            "select count(*) from marts.fct_orders where order_id = ?", [withdrawn]
        ).fetchone()[0]
        moved_first_month = inc.execute(
            "select min(month_start) from intermediate.int_buyers__monthly_states "
            "where buyer_id = ?",
            [moved_buyer],
        ).fetchone()[0]
        lone_buyer_months = inc.execute(
            "select count(*) from intermediate.int_buyers__monthly_states where buyer_id = ?",
            [lone_buyer],
        ).fetchone()[0]
        states_rewritten, state_rows = _rewritten_of(inc, "intermediate.int_buyers__monthly_states")
    finally:
        inc.close()
        ref.close()
    assert not differing, "\n".join(differing)
    assert states == {old: "refunded", stale: "paid"}
    assert lines_left == 0
    # the run rewrote exactly the orders with a version delivered in its window (the refunded
    # and the stale one among them), not the whole table
    assert rewritten == delivered_in_window < kept
    assert shipped == (False,) and withdrawn_facts == 0
    # fct_orders rewrote those orders (and the ones whose shipment changed), not every order
    assert delivered_in_window <= facts_rewritten < facts
    # the buyer of the withdrawn order is gone, and the states were not rewritten whole
    assert lone_buyer_months == 0
    assert moved_first_month == date(2015, 11, 1)
    assert states_rewritten < state_rows


def test_content_dimensions_follow_redelivered_items_and_creator_kinds(
    builds: dict[str, Any], tmp_path: Path
) -> None:
    """dim_content and bridge_content_skus rewrite only the items their window touched, and
    still end as a full refresh does when a delivery in the window re-sends an old item with
    fewer products, another with none (its bridge rows must go although no new row replaces
    them), withdraws an item it held, and the newest creators snapshot changes a creator's
    kind (every item of theirs must follow)."""
    incremental = tmp_path / "incremental.duckdb"
    shutil.copyfile(builds["incremental"], incremental)
    last_day = LAST_BATCH[1]
    con = duckdb.connect(str(incremental))
    try:
        shrunk, emptied = (r[0] for r in con.execute(
            "select content_id from raw.content_items group by content_id "
            "having max(_dt) < ? and min(len(sku_ids)) >= 2 order by content_id limit 2",
            [LAST_BATCH[0] - timedelta(days=7)],
        ).fetchall())  # fmt: skip
        con.execute(
            "insert into raw.content_items select * replace (sku_ids[1:1] as sku_ids, ? as _dt) "
            "from raw.content_items where content_id = ?",
            [last_day, shrunk],
        )
        con.execute(
            "insert into raw.content_items select * replace ([] as sku_ids, ? as _dt) "
            "from raw.content_items where content_id = ?",
            [last_day, emptied],
        )
        withdrawn = con.execute(
            "select content_id from raw.content_items group by content_id "
            "having count(*) = 1 and min(_dt) >= ? order by content_id limit 1",
            [LAST_BATCH[0]],
        ).fetchone()[0]
        con.execute("delete from raw.content_items where content_id = ?", [withdrawn])
        creator, kind = con.execute(
            "select creator_id, kind from staging.stg_reference__creators where creator_id in "
            "(select creator_id from marts.dim_content) order by creator_id limit 1"
        ).fetchone()
        new_kind = "media" if kind != "media" else "net_red"
        con.execute(
            "update raw.creators set kind = ? where creator_id = ? "
            "and _dt = (select max(_dt) from raw.creators)",
            [new_kind, creator],
        )
    finally:
        con.close()
    full = tmp_path / "full.duckdb"
    shutil.copyfile(incremental, full)

    select = ["--select", "stg_content__content_items+", "stg_reference__creators+"]
    window = {"min_date": (LAST_BATCH[0] - timedelta(days=7)).isoformat()}
    windowed = run_dbt([*BUILD, *select], incremental, tmp_path / "dbt", dbt_vars=window)
    assert "touched as (" in _compiled(windowed, "dim_content")
    run_dbt([*BUILD, *select, "--full-refresh"], full, tmp_path / "dbt_full")

    inc = duckdb.connect(str(incremental), read_only=True)
    ref = duckdb.connect(str(full), read_only=True)
    try:
        relations = ["staging.stg_content__content_items", "marts.dim_content"]
        differing = _differing(inc, ref, [*relations, "marts.bridge_content_skus"])
        products = dict(inc.execute(
            "select content_id, count(*) from marts.bridge_content_skus "
            "where content_id in (?, ?, ?) group by 1",
            [shrunk, emptied, withdrawn],
        ).fetchall())  # fmt: skip
        withdrawn_items = inc.execute(
            "select count(*) from marts.dim_content where content_id = ?", [withdrawn]
        ).fetchone()[0]
        kinds = inc.execute(
            "select distinct creator_kind from marts.dim_content where creator_id = ?", [creator]
        ).fetchall()
        items_rewritten, items = _rewritten_of(inc, "marts.dim_content")
        links_rewritten, links = _rewritten_of(inc, "marts.bridge_content_skus")
    finally:
        inc.close()
        ref.close()
    assert not differing, "\n".join(differing)
    assert products == {shrunk: 1}
    assert withdrawn_items == 0
    assert kinds == [(new_kind,)]
    # the run rewrote the touched items (the creator's among them), not the whole tables
    assert 0 < items_rewritten < items
    assert 0 < links_rewritten < links


def test_a_relinked_account_moves_old_credit_and_rewrites_only_its_groups(
    builds: dict[str, Any], tmp_path: Path
) -> None:
    """A link re-delivered to another buyer re-identifies an account's clicks a month old: the
    windowed run ends as a full refresh does (the old buyer's line loses the credit, content
    reach moves from the old buyer to the new one in the click's periods), and
    outside its window it rewrites the (day, bucket) groups of that account and of the buyers
    concerned, not their whole days (macros/cross_db/incremental_by_group.sql)."""
    incremental = tmp_path / "incremental.duckdb"
    shutil.copyfile(builds["incremental"], incremental)
    window_start = LAST_BATCH[0] - timedelta(days=7)
    con = duckdb.connect(str(incremental))
    try:
        order_id, line_no, event_id, platform, account, old_buyer = con.execute(
            """
            select l.order_id, l.line_no, e.event_id, e.platform, e.platform_user_id, l.buyer_id
            from intermediate.int_order_lines__attributed as l
            inner join intermediate.int_content_events__resolved as e
                on l.attributed_event_id = e.event_id
            where l.order_date < ? - 14 and e.is_identified
            order by l.order_id, l.line_no limit 1
            """,
            [window_start],
        ).fetchone()
        new_buyer = con.execute(
            "select min(buyer_id) from staging.stg_sales__orders where buyer_id != ?", [old_buyer]
        ).fetchone()[0]
        con.execute(
            "insert into raw.identity_links select * replace (? as buyer_id, "
            "linked_at + interval 1 day as linked_at, ? as _dt) from raw.identity_links "
            "where platform = ? and platform_user_id = ?",
            [new_buyer, LAST_BATCH[1], platform, account],
        )
    finally:
        con.close()
    full = tmp_path / "full.duckdb"
    shutil.copyfile(incremental, full)

    select = ["--select", "stg_channel__identity_links+", "--exclude", "int_sessions__converted+"]
    windowed = run_dbt([*BUILD, *select], incremental, tmp_path / "dbt",
                       dbt_vars={"min_date": window_start.isoformat()})  # fmt: skip
    assert "relinked_groups" in _compiled(windowed, "int_content_events__resolved")
    run_dbt([*BUILD, *select, "--full-refresh"], full, tmp_path / "dbt_full")

    inc = duckdb.connect(str(incremental), read_only=True)
    ref = duckdb.connect(str(full), read_only=True)
    try:
        relations = ["intermediate.int_content_events__resolved",
                     "intermediate.int_order_lines__attributed",
                     "intermediate.int_content_events__daily_reach",
                     "marts.kpi_content_attribution", "marts.kpi_content_uv_growth"]  # fmt: skip
        differing = _differing(inc, ref, relations)
        credit = inc.execute(
            "select attributed_event_id from intermediate.int_order_lines__attributed "
            "where order_id = ? and line_no = ?",
            [order_id, line_no],
        ).fetchone()[0]
        person, previous_person = inc.execute(
            "select person_id, previous_person_id from intermediate.int_content_events__resolved "
            "where event_id = ?",
            [event_id],
        ).fetchone()
        rewritten = {}
        for model, day in (("int_content_events__resolved", "event_date"),
                           ("int_order_lines__attributed", "order_date")):  # fmt: skip
            rewritten[model] = inc.execute(
                f"""
                with old_days as (
                    select {day}, built_at = (select max(built_at) from intermediate.{model})
                        as is_rewritten
                    from intermediate.{model} where {day} < ?
                )
                select count(*) filter (where is_rewritten),
                    count(*) filter (where {day} in
                        (select {day} from old_days where is_rewritten))
                from old_days
                """,
                [window_start],
            ).fetchone()
    finally:
        inc.close()
        ref.close()
    assert not differing, "\n".join(differing)
    assert person == new_buyer and credit != event_id
    # the repaired click remembers whom it counted for, which kpi_content_uv_growth adjusts by
    assert previous_person == old_buyer
    for model, (rows, rows_of_their_days) in rewritten.items():
        assert 0 < rows < rows_of_their_days, (model, rows, rows_of_their_days)
