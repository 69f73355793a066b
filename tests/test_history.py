"""The run history's pooled event log (orchestration/history.py): Dagster's own layout and
schema, readable by Dagster's stock storage; the instance config is written once and never
over a user's own."""

from __future__ import annotations

from pathlib import Path

from dagster import (
    AssetCheckResult,
    DagsterEventType,
    DagsterInstance,
    Definitions,
    asset,
    asset_check,
    define_asset_job,
)
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration.history import (
    HEADER,
    MAX_OPEN_SHARDS,
    PooledSqliteEventLogStorage,
    ensure_instance_config,
)


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
