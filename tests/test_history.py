"""The run history's pooled event log (orchestration/history.py): Dagster's own layout and
schema, readable by Dagster's stock storage; the instance config is written once and never
over a user's own. The backfill instance records a partition range's plan once per asset and
still runs, checks and fails like any instance."""

from __future__ import annotations

from pathlib import Path

import pytest
from dagster import (
    AssetCheckResult,
    AssetCheckSpec,
    AssetKey,
    AssetSpec,
    BackfillPolicy,
    DagsterEventType,
    DagsterInstance,
    DagsterRunStatus,
    DailyPartitionsDefinition,
    Definitions,
    MaterializeResult,
    asset,
    asset_check,
    define_asset_job,
    multi_asset,
)
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration.history import (
    HEADER,
    MAX_OPEN_SHARDS,
    BackfillEventLogStorage,
    PooledSqliteEventLogStorage,
    backfill_instance,
    ensure_instance_config,
)
from orchestration.partitions import range_tags


@asset
def numbers() -> list[int]:
    return [1, 2, 3]


@asset_check(asset=numbers)
def three_numbers(numbers: list[int]) -> AssetCheckResult:
    return AssetCheckResult(passed=len(numbers) == 3)


JOB = Definitions(
    assets=[numbers], asset_checks=[three_numbers], jobs=[define_asset_job("tiny")]
).resolve_job_def("tiny")


def test_runs_are_stored_where_and_as_dagster_itself_reads_them(tmp_path: Path) -> None:
    home = tmp_path / ".dagster"
    ensure_instance_config(home)
    run_ids = []
    with DagsterInstance.from_config(str(home)) as instance:
        storage = instance.event_log_storage
        assert isinstance(storage, PooledSqliteEventLogStorage)
        for _ in range(MAX_OPEN_SHARDS + 2):
            result = JOB.execute_in_process(instance=instance)
            assert result.success
            run_ids.append(result.run_id)
        # A long-lived process (dagster dev) keeps only a few files open.
        assert len(storage._engines) <= MAX_OPEN_SHARDS

    stock = SqliteEventLogStorage(str(home / "history" / "runs"))
    for run_id in run_ids:
        types = {e.dagster_event_type for e in stock.get_logs_for_run(run_id) if e.dagster_event}
        assert DagsterEventType.ASSET_MATERIALIZATION in types
        assert DagsterEventType.ASSET_CHECK_EVALUATION in types
        assert DagsterEventType.RUN_SUCCESS in types
    with DagsterInstance.from_config(str(home)) as instance:  # and the index, across runs
        check = instance.event_log_storage.get_asset_check_execution_history(
            three_numbers.check_key, limit=100
        )
        assert len(check) == len(run_ids)


def test_table_checks_remember_only_tables_that_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Dagster asks `has_table` before every asset-check event; the pooled storage answers a
    present table from memory and asks the file again about an absent one (a migration may
    add it later)."""
    storage = PooledSqliteEventLogStorage(str(tmp_path / "runs"))
    asked: list[str] = []
    stock_has_table = SqliteEventLogStorage.has_table

    def counting(self: SqliteEventLogStorage, table_name: str) -> bool:
        asked.append(table_name)
        return stock_has_table(self, table_name)

    monkeypatch.setattr(SqliteEventLogStorage, "has_table", counting)
    try:
        assert all(storage.has_table("asset_check_executions") for _ in range(5))
        assert not any(storage.has_table("no_such_table") for _ in range(3))
    finally:
        storage.dispose()
    assert asked.count("asset_check_executions") == 1
    assert asked.count("no_such_table") == 3


def test_instance_config_is_written_once_and_never_over_a_users_own(tmp_path: Path) -> None:
    home = tmp_path / ".dagster"
    ensure_instance_config(home)
    config = home / "dagster.yaml"
    ours = config.read_text()
    assert ours.startswith(HEADER) and str(home.resolve() / "history" / "runs") in ours

    moved = tmp_path / "moved" / ".dagster"  # the data folder moved: ours is rewritten
    moved.parent.mkdir()
    home.rename(moved)
    ensure_instance_config(moved)
    assert str(moved.resolve() / "history" / "runs") in (moved / "dagster.yaml").read_text()

    own = "telemetry:\n  enabled: false\n"
    (moved / "dagster.yaml").write_text(own)
    ensure_instance_config(moved)
    assert (moved / "dagster.yaml").read_text() == own


DAYS = DailyPartitionsDefinition(start_date="2015-01-01", end_date="2015-03-01")
TABLES = [f"table_{i}" for i in range(3)]


@multi_asset(
    specs=[AssetSpec(t) for t in TABLES],
    check_specs=[AssetCheckSpec("loaded", asset=t) for t in TABLES],
    partitions_def=DAYS,
    backfill_policy=BackfillPolicy.single_run(),
)
def tables(context):  # type: ignore[no-untyped-def]
    """Like the raw assets: one step loads a range of days for several tables, with checks."""
    if context.run.tags.get("fail") == "yes":
        raise RuntimeError("the load failed")
    for t in TABLES:
        yield MaterializeResult(
            asset_key=t,
            check_results=[AssetCheckResult(asset_key=t, check_name="loaded", passed=True)],
        )


BACKFILL_JOB = Definitions(assets=[tables], jobs=[define_asset_job("load")]).resolve_job_def("load")


def _event_counts(instance: DagsterInstance, run_id: str) -> dict[DagsterEventType, int]:
    counts: dict[DagsterEventType, int] = {}
    for record in instance.get_records_for_run(run_id, limit=100_000).records:
        kind = record.event_log_entry.dagster_event_type
        if kind is not None:
            counts[kind] = counts.get(kind, 0) + 1
    return counts


def test_backfill_instance_plans_a_range_once_per_asset_and_keeps_every_materialization() -> None:
    days = 40
    with backfill_instance() as instance:
        assert isinstance(instance.event_log_storage, BackfillEventLogStorage)
        assert not instance.is_persistent
        result = BACKFILL_JOB.execute_in_process(
            instance=instance, tags=range_tags("2015-01-01", "2015-02-09")
        )
        assert result.success
        counts = _event_counts(instance, result.run_id)
        # Dagster's stock in-memory log stores one planned event per asset and day.
        assert counts[DagsterEventType.ASSET_MATERIALIZATION_PLANNED] == len(TABLES)
        assert counts[DagsterEventType.ASSET_MATERIALIZATION] == len(TABLES) * days
        assert counts[DagsterEventType.ASSET_CHECK_EVALUATION] == len(TABLES)
        planned = instance.get_records_for_run(
            result.run_id, of_type=DagsterEventType.ASSET_MATERIALIZATION_PLANNED
        ).records
        subset = planned[0].event_log_entry.get_dagster_event().event_specific_data
        assert subset.partitions_subset is not None
        assert len(subset.partitions_subset.get_partition_keys()) == days
        assert instance.get_run_by_id(result.run_id).status == DagsterRunStatus.SUCCESS
        latest = instance.get_latest_materialization_event(AssetKey(TABLES[0]))
        assert latest is not None and latest.asset_materialization.partition == "2015-02-09"

        failed = BACKFILL_JOB.execute_in_process(
            instance=instance,
            tags={**range_tags("2015-01-01", "2015-01-10"), "fail": "yes"},
            raise_on_error=False,
        )
        assert not failed.success
        assert instance.get_run_by_id(failed.run_id).status == DagsterRunStatus.FAILURE
        assert DagsterEventType.ASSET_MATERIALIZATION not in _event_counts(instance, failed.run_id)
