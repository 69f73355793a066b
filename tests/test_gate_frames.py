"""The GX gate's frame conversion (Arrow, categoricals) must not change a single verdict."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pyarrow as pa

from orchestration.checks.expectations import arrow_to_frame, validate_frame
from orchestration.checks.suites import suite_path
from shopsight import contract


def _sessions_with_planted_faults() -> pa.Table:
    """Raw sessions with one null required value, one value outside an enum, one page_views
    below its minimum and one duplicated (session_id, _dt)."""
    n = 6
    at = datetime(2015, 3, 1, 8, tzinfo=UTC)
    return pa.table(
        {
            "session_id": ["s1", "s2", "s3", "s4", "s5", "s5"],
            "visitor_id": ["v1", None, "v3", "v4", "v5", "v6"],
            "buyer_id": [None] * n,
            "session_start_ts": pa.array([at] * n, pa.timestamp("us", tz="UTC")),
            "terminal": ["pc", "mobile_app", "fax", "pc", "pc", "pc"],
            "traffic_source": ["search"] * n,
            "landing_page": ["home"] * n,
            "content_id": [None] * n,
            "experiment_id": [None] * n,
            "variant": [None] * n,
            "page_views": pa.array([1, 2, 3, 0, 5, 6], pa.int32()),
            "_source_file": ["channel/sessions/dt=2015-03-01/sessions.parquet"] * n,
            "_row_number": pa.array(range(1, n + 1), pa.int64()),
            "_dt": pa.array([date(2015, 3, 1)] * n, pa.date32()),
            "_loaded_at": pa.array([at] * n, pa.timestamp("us", tz="UTC")),
        }
    )


def _unexpected(result: dict) -> dict[tuple[str, str], int | None]:
    return {
        (r["expectation_config"]["type"], str(r["expectation_config"]["kwargs"].get("column"))): (
            r.get("result", {}).get("unexpected_count")
        )
        for r in result["results"]
    }


def test_arrow_frames_give_gx_the_same_verdicts_as_plain_pandas() -> None:
    table = _sessions_with_planted_faults()
    enums = {c.name for c in contract.entity("sessions").columns if c.enum}
    fast = validate_frame("sessions", arrow_to_frame(table, enums), suite_path("sessions"))
    plain = validate_frame("sessions", table.to_pandas(), suite_path("sessions"))
    assert fast["success"] is False
    assert _unexpected(fast) == _unexpected(plain)
    failed = {k for k, v in _unexpected(fast).items() if v}
    assert failed == {
        ("expect_column_values_to_not_be_null", "visitor_id"),
        ("expect_column_values_to_be_in_set", "terminal"),
        ("expect_column_values_to_be_between", "page_views"),
        ("expect_compound_columns_to_be_unique", "None"),
    }


def test_gx_does_not_hash_the_frame_it_validates() -> None:
    """GX's batch fingerprint (a hash of every value, computed twice per validation) is
    switched off: the result carries no fingerprint, and the verdicts are still GX's own."""
    result = validate_frame(
        "sessions", _sessions_with_planted_faults().to_pandas(), suite_path("sessions")
    )
    assert result["success"] is False
    markers = [r.get("meta", {}) for r in result["results"]] + [result.get("meta", {})]
    assert "pandas_data_fingerprint" not in str(markers)
    assert "pandas_data_fingerprint" not in str(result)


def test_the_gate_reports_counts_and_values_without_row_positions() -> None:
    """The gate validates with GX's BASIC results: the same verdicts and unexpected counts as
    GX's default, the unexpected values the gate reports, and no per-row positions (computing
    them copied the frame once per expectation)."""
    table = _sessions_with_planted_faults().to_pandas()
    basic = validate_frame("sessions", table, suite_path("sessions"))
    summary = validate_frame("sessions", table, suite_path("sessions"), result_format="SUMMARY")
    assert _unexpected(basic) == _unexpected(summary)
    assert basic["success"] is summary["success"] is False
    terminal = next(
        r["result"]
        for r in basic["results"]
        if r["expectation_config"]["kwargs"].get("column") == "terminal"
        and r["expectation_config"]["type"] == "expect_column_values_to_be_in_set"
    )
    assert terminal["partial_unexpected_list"] == ["fax"]
    assert "partial_unexpected_index_list" not in str(basic)
    assert "partial_unexpected_index_list" in str(summary)
