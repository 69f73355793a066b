"""Publishing patches the previous snapshot's day-incremental marts and still equals the marts.

A small warehouse stands in for dbt's output: `fct_events` is kept incremental by day (rows
stamped with `built_at`), `kpi_small` is rebuilt whole. Each publish must leave a serving file
whose marts equal the warehouse's row for row, whichever way it was written.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from orchestration.assets.publish import mark_run, publish
from shopsight.ingest.schema import ensure_schema

DAY_KEYS = {"fct_events": "event_date"}


def _warehouse(path: Path) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(path))
    ensure_schema(con)
    con.execute("create schema if not exists marts")
    con.execute(
        """
        create or replace table marts.fct_events as
        select i as event_id, date '2016-01-01' + (i % 10)::int as event_date, i * 1.5 as amount,
               timestamp '2016-02-01 00:00:00' as built_at
        from range(1000) as r(i)
        """
    )
    con.execute("create or replace table marts.kpi_small as select 1 as k, 10 as v")
    return con


def _rebuild_days(con: duckdb.DuckDBPyConnection, days: list[str], built_at: str) -> None:
    """What dbt's delete+insert by day does: the days' rows replaced, newly stamped."""
    in_days = ", ".join(f"date '{d}'" for d in days)
    con.execute(
        f"""
        create temp table fresh as
        select event_id + 5000 as event_id, event_date, amount * 2 as amount,
               timestamp '{built_at}' as built_at
        from marts.fct_events where event_date in ({in_days});
        delete from marts.fct_events where event_date in ({in_days});
        insert into marts.fct_events select * from fresh;
        drop table fresh;
        """
    )


def _marts(source: Path | duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    if isinstance(source, Path):
        with duckdb.connect(str(source), read_only=True) as con:
            return _marts(con)
    return {
        t: source.execute(f"select * from marts.{t} order by all").fetchall()
        for t in ("fct_events", "kpi_small")
    }


def _publish(con: duckdb.DuckDBPyConnection, serving: Path, run_id: str) -> tuple[str, ...]:
    mark_run(con, run_id, "succeeded", "published")
    return publish(con, serving, run_id, DAY_KEYS).patched


def test_later_publishes_patch_rebuilt_days_and_equal_the_marts(tmp_path: Path) -> None:
    warehouse, serving = tmp_path / "warehouse.duckdb", tmp_path / "serving.duckdb"
    con = _warehouse(warehouse)
    try:
        assert _publish(con, serving, "run-1") == ()  # nothing to patch yet
        assert _marts(serving) == _marts(con)

        _rebuild_days(con, ["2016-01-03", "2016-01-04"], "2016-02-02 00:00:00")
        con.execute(  # a new day, and a day the warehouse no longer has
            "insert into marts.fct_events values "
            "(9001, date '2016-01-11', 1.0, timestamp '2016-02-02 00:00:00')"
        )
        con.execute("delete from marts.fct_events where event_date = date '2016-01-01'")
        con.execute("update marts.kpi_small set v = 11")
        assert _publish(con, serving, "run-2") == ("fct_events",)
        assert _marts(serving) == _marts(con)

        con.execute("alter table marts.fct_events add column note varchar")  # model changed
        assert _publish(con, serving, "run-3") == ()
        assert _marts(serving) == _marts(con)
    finally:
        con.close()


def test_a_snapshot_from_another_warehouse_is_never_patched(tmp_path: Path) -> None:
    serving = tmp_path / "serving.duckdb"
    other = _warehouse(tmp_path / "other.duckdb")
    try:
        _rebuild_days(other, ["2016-01-05"], "2030-01-01 00:00:00")  # newer than ours
        _publish(other, serving, "other-run")
    finally:
        other.close()
    con = _warehouse(tmp_path / "warehouse.duckdb")
    try:
        assert _publish(con, serving, "our-run") == ()
    finally:
        con.close()
    assert _marts(serving) == _marts(tmp_path / "warehouse.duckdb")


@pytest.mark.parametrize("damage", ["garbage", "no publish_info"])
def test_an_unreadable_previous_snapshot_is_replaced(tmp_path: Path, damage: str) -> None:
    serving = tmp_path / "serving.duckdb"
    if damage == "garbage":
        serving.write_bytes(b"not a duckdb file" * 100)
    else:
        with duckdb.connect(str(serving)) as snap:
            snap.execute("create table t as select 1 as x")
    con = _warehouse(tmp_path / "warehouse.duckdb")
    try:
        assert _publish(con, serving, "run-1") == ()
    finally:
        con.close()
    assert _marts(serving) == _marts(tmp_path / "warehouse.duckdb")
