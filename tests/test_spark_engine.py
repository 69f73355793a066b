"""The engine setting: `SHOPSIGHT_ENGINE` picks where dbt builds the marts, and nothing else."""

from __future__ import annotations

import pytest

from shopsight.spark.pipeline import ENGINE_ENV, engine_from_env


@pytest.mark.parametrize(
    ("value", "engine"), [(None, "duckdb"), ("", "duckdb"), ("Spark", "spark")]
)
def test_engine_from_env(monkeypatch: pytest.MonkeyPatch, value: str | None, engine: str) -> None:
    if value is None:
        monkeypatch.delenv(ENGINE_ENV, raising=False)
    else:
        monkeypatch.setenv(ENGINE_ENV, value)
    assert engine_from_env() == engine


def test_an_unknown_engine_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENGINE_ENV, "snowflake")
    with pytest.raises(ValueError, match="must be one of"):
        engine_from_env()
