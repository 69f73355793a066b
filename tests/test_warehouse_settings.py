"""Every Shopsight connection to the warehouse runs inside a bounded DuckDB buffer pool."""

from __future__ import annotations

from pathlib import Path

import pytest

from shopsight import warehouse as wh


def _limit_bytes(text: str) -> float:
    number, unit = text.split()
    scale = {"KiB": 2**10, "MiB": 2**20, "GiB": 2**30, "TiB": 2**40}[unit]
    return float(number) * scale


def test_connections_take_the_configured_memory_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(wh.MEMORY_LIMIT_ENV, "300MB")
    with wh.connect(tmp_path / "w.duckdb") as con:
        shown = con.execute("select current_setting('memory_limit')").fetchone()[0]
    # DuckDB reports the limit in binary units (300 MB = 286.1 MiB).
    assert abs(_limit_bytes(shown) - 300e6) < 1e6


def test_the_default_limit_applies_without_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(wh.MEMORY_LIMIT_ENV, raising=False)
    with wh.connect(tmp_path / "w.duckdb") as con:
        shown = con.execute("select current_setting('memory_limit')").fetchone()[0]
    assert abs(_limit_bytes(shown) - 4e9) < 0.06 * 2**30  # shown to 0.1 GiB


def test_a_malformed_limit_is_refused_before_opening(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(wh.MEMORY_LIMIT_ENV, "4GB'; drop table x; --")
    with pytest.raises(ValueError, match="SHOPSIGHT_DUCKDB_MEMORY_LIMIT"):
        wh.connect(tmp_path / "w.duckdb")
    assert not (tmp_path / "w.duckdb").exists()
