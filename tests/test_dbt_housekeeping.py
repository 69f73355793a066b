"""Housekeeping around the pipeline's dbt invocation (orchestration/assets/dbt.py): old per-run
target folders are pruned, the parse state a run leaves seeds the next run, the window
variable does not outlive the dbt it was set for, and dbt starts without an adapter in
Dagster's process."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from orchestration.assets.dbt import (
    KEPT_BUILD_TARGETS,
    MIN_DATE_ENV,
    ShopsightDbtCliResource,
    _environment,
    dbt_project,
    dbt_resource,
    keep_partial_parse,
    load_manifest,
    prune_build_targets,
)


def test_only_the_newest_run_targets_are_kept(tmp_path: Path) -> None:
    runs = [tmp_path / f"dbt_build-{i:03d}" for i in range(KEPT_BUILD_TARGETS + 3)]
    for age, folder in enumerate(reversed(runs)):  # runs[-1] is the newest
        (folder / "compiled").mkdir(parents=True)
        (folder / "manifest.json").write_text("{}")
        os.utime(folder, (1_000_000 - age, 1_000_000 - age))
    (tmp_path / "compiled").mkdir()  # a hand-run dbt's own target content: not ours to prune
    (tmp_path / "partial_parse.msgpack").write_text("")

    deleted = prune_build_targets(tmp_path)

    assert sorted(deleted) == runs[:3]
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([r.name for r in runs[3:]] + ["compiled", "partial_parse.msgpack"])


def test_the_window_variable_is_set_only_while_dbt_starts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(MIN_DATE_ENV, raising=False)
    with _environment(MIN_DATE_ENV, "2016-03-01"):
        assert os.environ[MIN_DATE_ENV] == "2016-03-01"
    assert MIN_DATE_ENV not in os.environ

    monkeypatch.setenv(MIN_DATE_ENV, "2015-01-01")  # someone's own setting comes back after
    with pytest.raises(RuntimeError), _environment(MIN_DATE_ENV, None):
        assert MIN_DATE_ENV not in os.environ  # a full refresh has no window
        raise RuntimeError("dbt failed to start")
    assert os.environ[MIN_DATE_ENV] == "2015-01-01"


def test_a_run_s_parse_state_seeds_the_next_run(tmp_path: Path) -> None:
    project_target = tmp_path / "target"
    run_target = project_target / "dbt_build-001"
    run_target.mkdir(parents=True)
    assert not keep_partial_parse(run_target, project_target)  # dbt failed before parsing
    assert not (project_target / "partial_parse.msgpack").exists()

    (project_target / "partial_parse.msgpack").write_bytes(b"from dbt parse")
    (run_target / "partial_parse.msgpack").write_bytes(b"from the run")
    assert keep_partial_parse(run_target, project_target)
    assert (project_target / "partial_parse.msgpack").read_bytes() == b"from the run"
    assert sorted(p.name for p in project_target.iterdir()) == [
        "dbt_build-001",
        "partial_parse.msgpack",
    ]


def test_dbt_runs_without_an_adapter_in_the_orchestrating_process() -> None:
    """`ShopsightDbtCliResource` skips the dbt adapter dagster-dbt would build in Dagster's
    process before every invocation (~1.9 s a run, used only for row counts and column
    metadata Shopsight does not fetch). If a dagster-dbt upgrade renamed the hook, the
    invocation would carry an adapter again and this test fails."""
    resource = dbt_resource()
    assert isinstance(resource, ShopsightDbtCliResource)
    invocation = resource.cli(["--version"], manifest=load_manifest(dbt_project()))
    invocation.wait()
    assert invocation.is_successful()
    assert invocation.adapter is None
