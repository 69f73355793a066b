"""Shared fixtures: one simulated landing zone and one real pipeline build per test session.

Building the warehouse is the expensive part of the suite (simulate, ingest, dbt build, gates,
publish), so every test that only *reads* the result shares these session-scoped fixtures. Tests
that change data build their own warehouse in their own tmp folder.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from shopsight.settings import REPO_ROOT, Settings

# The shared simulated world: two years (so YoY and 2016-over-2015 growth exist) at the scale the
# tests use. Changing these changes what every integration test sees.
SIM_START = date(2015, 1, 1)
SIM_DAYS = 731
SIM_SCALE = 0.01
SIM_SEED = 7


def make_settings(root: Path, landing: Path | None = None) -> Settings:
    """Settings whose every path lives under `root` (the landing zone may be shared)."""
    return Settings(
        landing_dir=landing or root / "landing",
        warehouse=root / "warehouse.duckdb",
        serving=root / "serving.duckdb",
        validations_dir=root / "validations",
        dbt_project_dir=REPO_ROOT,
    )


@pytest.fixture(scope="session")
def test_output_dir() -> Path:
    """Where tests leave artefacts worth looking at (screenshots, reports)."""
    out = Path(os.environ.get("SHOPSIGHT_TEST_OUTPUT", REPO_ROOT / "test-output"))
    out.mkdir(parents=True, exist_ok=True)
    return out


@pytest.fixture(scope="session")
def simulated_landing(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """A clean simulated landing zone (no faults) and its truth."""
    from shopsight.simulator import simulate

    root = tmp_path_factory.mktemp("sim")
    landing = root / "landing"
    simulate(landing, SIM_START, SIM_DAYS, SIM_SCALE, SIM_SEED)
    truth = json.loads((root / "truth.json").read_text())
    return landing, truth


@pytest.fixture(scope="session")
def truth(simulated_landing: tuple[Path, dict[str, Any]]) -> dict[str, Any]:
    return simulated_landing[1]


@pytest.fixture(scope="session")
def published_serving(
    tmp_path_factory: pytest.TempPathFactory, simulated_landing: tuple[Path, dict[str, Any]]
) -> Iterator[Settings]:
    """Settings of a warehouse built by the real pipeline from `simulated_landing`, published."""
    from orchestration.runner import run_pipeline

    settings = make_settings(tmp_path_factory.mktemp("built"), landing=simulated_landing[0])
    summary = run_pipeline(settings, progress=lambda line: None)
    assert summary.success, f"the shared pipeline run failed: {summary}"
    assert settings.serving.exists()
    yield settings


@pytest.fixture(scope="session")
def dbt_empty_warehouse(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A warehouse whose raw tables all exist, empty, and the dbt work folder (target, logs) for
    it: the dbt tests that need no data share it, so dbt parses the project once for them."""
    from tests.dbt_support import create_empty_raw

    root = tmp_path_factory.mktemp("dbt_empty")
    create_empty_raw(root / "warehouse.duckdb")
    return root / "warehouse.duckdb", root / "dbt"
