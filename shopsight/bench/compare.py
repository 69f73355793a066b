"""Comparing two implementations of a mart, row by row, column by column.

Used by the benchmark (does the lower bound compute what dbt computes?) and by its tests. Rows
are matched on the mart's grain; every column both sides have is compared, numbers within a
relative tolerance (sums of decimals and doubles differ in the last bits, and the lower bound's
erfc is a different approximation from the dbt macro's), everything else exactly.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

import pandas as pd

# The grain of each mart in the KPI catalogue.
MART_KEYS: dict[str, tuple[str, ...]] = {
    "kpi_sales_daily": ("date", "terminal_group"),
    "kpi_mobile_share_daily": ("date", "brand_id"),
    "kpi_content_daily": ("date", "platform", "content_type"),
    "kpi_content_uv_growth": ("period_type", "period_start"),
    "kpi_content_attribution": ("date", "content_id"),
    "kpi_creator_daily": ("date", "creator_id"),
    "kpi_experiment_results": ("experiment_id", "variant", "segment"),
    "kpi_omnichannel_daily": ("date",),
    "kpi_customer_channels_monthly": ("month",),
    "kpi_customer_lifecycle_monthly": ("month", "state"),
    "kpi_overview_daily": ("date",),
}

REL_TOL = 1e-6
ABS_TOL = 1e-6


def _norm(value: Any) -> Any:
    """One representation per value: NaN/NA -> None, numbers -> float, dates -> ISO text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) or hasattr(value, "__float__"):
        try:
            return float(value)
        except (TypeError, ValueError):
            pass
    if isinstance(value, pd.Timestamp):
        return value.date().isoformat() if value == value.normalize() else value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)
    return a == b


def _keyed(frame: pd.DataFrame, keys: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
    out: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in frame.to_dict("records"):
        normed = {k: _norm(v) for k, v in row.items()}
        out[tuple(normed[k] for k in keys)] = normed
    return out


def diff_marts(
    left: pd.DataFrame,
    right: pd.DataFrame,
    keys: tuple[str, ...],
    columns: Iterable[str] | None = None,
    *,
    limit: int = 10,
) -> list[str]:
    """Differences between two versions of a mart (empty when they agree).

    `columns` defaults to every non-key column both frames have. At most `limit` messages per
    kind of difference are returned, each naming the row's key.
    """
    problems: list[str] = []
    for side, frame in (("left", left), ("right", right)):
        missing = [k for k in keys if k not in frame.columns]
        if missing:
            return [f"{side} side lacks key columns {missing}"]
        dup = int(frame.duplicated(list(keys)).sum())
        if dup:
            problems.append(f"{side} side has {dup} duplicate keys")
    if columns is None:
        columns = [c for c in left.columns if c in right.columns and c not in keys]
    columns = list(columns)
    absent = [c for c in columns if c not in left.columns or c not in right.columns]
    if absent:
        problems.append(f"columns missing on one side: {absent}")
        columns = [c for c in columns if c not in absent]

    lrows, rrows = _keyed(left, keys), _keyed(right, keys)
    only_left = sorted(set(lrows) - set(rrows), key=str)
    only_right = sorted(set(rrows) - set(lrows), key=str)
    if only_left:
        problems.append(f"{len(only_left)} rows only on the left, e.g. {only_left[:limit]}")
    if only_right:
        problems.append(f"{len(only_right)} rows only on the right, e.g. {only_right[:limit]}")
    for col in columns:
        bad = [
            (k, lrows[k][col], rrows[k][col])
            for k in sorted(set(lrows) & set(rrows), key=str)
            if not _same(lrows[k][col], rrows[k][col])
        ]
        if bad:
            problems.append(f"{col}: {len(bad)} rows differ, e.g. (key, left, right) {bad[:limit]}")
    return problems
