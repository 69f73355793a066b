"""Helpers for the dbt tests: run the real dbt CLI against a chosen warehouse file, make a
warehouse with empty raw tables, and read whole tables back for comparison.

dbt runs as a subprocess with the repository's own profile (`profiles.yml`, target `duckdb`),
pointed at a test warehouse through `SHOPSIGHT_WAREHOUSE`, exactly as the pipeline does. Its
target and log folders live under the test's tmp folder, so parallel suites never share them.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from shopsight import contract
from shopsight.settings import REPO_ROOT

DBT = str(Path(sys.executable).with_name("dbt"))

# The marts of the KPI catalogue with the columns the catalogue promises (names are the public
# interface: the marts may add columns, never rename these).
SPEC_MARTS: dict[str, tuple[str, ...]] = {
    "kpi_mobile_share_daily": (
        "date", "brand_id", "category", "online_gmv", "wireless_gmv", "pc_gmv",
        "mobile_gmv_share", "online_orders", "wireless_orders", "mobile_order_share",
        "online_buyers", "wireless_buyers", "mobile_buyer_share",
    ),
    "kpi_sales_daily": (
        "date", "terminal_group", "gmv", "net_sales", "orders", "buyers", "gmv_share", "aov",
        "gmv_per_buyer",
    ),
    "kpi_content_daily": (
        "date", "platform", "content_type", "content_uv", "views", "product_clickers",
        "click_through_rate", "avg_dwell_seconds",
    ),
    "kpi_content_uv_growth": (
        "period_type", "period_start", "content_uv", "content_product_uv", "prev_content_uv",
        "uv_growth", "yoy_content_uv", "yoy_uv_growth",
    ),
    "kpi_content_attribution": (
        "date", "content_id", "creator_id", "platform", "attributed_orders", "attributed_gmv",
        "attributed_buyers",
    ),
    "kpi_creator_daily": (
        "date", "creator_id", "kind", "followers", "follower_growth", "content_uv",
        "attributed_gmv",
    ),
    "kpi_experiment_results": (
        "experiment_id", "variant", "segment", "visitors", "converters", "conversion_rate",
        "abs_lift", "rel_lift", "abs_lift_ci_low", "abs_lift_ci_high", "rel_lift_ci_low",
        "rel_lift_ci_high", "p_value", "srm_p_value", "srm_flag",
    ),
    "kpi_omnichannel_daily": (
        "date", "online_orders", "store_fulfilled_orders", "store_fulfilled_share",
        "pickup_orders", "pickup_share", "in_store_orders", "offline_gmv", "ship_minutes_p50",
        "ship_minutes_p90", "shipped_within_1h_share", "delivered_orders",
        "on_time_delivery_rate",
    ),
    "kpi_customer_channels_monthly": (
        "month", "online_only_buyers", "offline_only_buyers", "omnichannel_buyers",
        "omnichannel_share",
    ),
    "kpi_customer_lifecycle_monthly": ("month", "state", "buyers", "gmv", "repeat_purchase_rate"),
    "kpi_overview_daily": (
        "date", "gmv", "net_sales", "orders", "buyers", "aov", "gmv_per_buyer", "visitors",
        "converting_visitors", "conversion_rate", "mobile_gmv_share", "content_uv", "festival",
    ),
}  # fmt: skip


@dataclass(frozen=True)
class DbtRun:
    """One finished dbt invocation: its output and the parsed `run_results.json`."""

    args: tuple[str, ...]
    returncode: int
    output: str
    results: list[dict[str, Any]]

    def statuses(self, resource_type: str | None = None) -> dict[str, str]:
        """unique_id -> status, optionally of one resource type (`model`, `unit_test`, ...)."""
        return {
            r["unique_id"]: r["status"]
            for r in self.results
            if resource_type is None or r["unique_id"].split(".")[0] == resource_type
        }


def run_dbt(
    args: list[str],
    warehouse: Path,
    work_dir: Path,
    *,
    dbt_vars: dict[str, Any] | None = None,
    env: dict[str, str] | None = None,
    check: bool = True,
) -> DbtRun:
    """`dbt <args>` with the repo's project and profile against `warehouse`.

    `work_dir` holds dbt's target and logs (reuse one per warehouse: dbt's partial parsing then
    skips re-parsing the project). `env` adds environment variables. With `check`, a failing
    invocation fails the test and shows the end of dbt's output.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "SHOPSIGHT_WAREHOUSE": str(warehouse),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_USE_COLORS": "false",
        **(env or {}),
    }
    cmd = [
        DBT,
        *args,
        "--project-dir", str(REPO_ROOT),
        "--profiles-dir", str(REPO_ROOT),
        "--target-path", str(work_dir / "target"),
        "--log-path", str(work_dir / "logs"),
    ]  # fmt: skip
    if dbt_vars:
        cmd += ["--vars", json.dumps(dbt_vars)]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    results_path = work_dir / "target" / "run_results.json"
    results = json.loads(results_path.read_text())["results"] if results_path.exists() else []
    run = DbtRun(tuple(args), proc.returncode, proc.stdout + proc.stderr, results)
    if check and proc.returncode != 0:
        raise AssertionError(f"dbt {' '.join(args)} failed:\n{run.output[-6000:]}")
    return run


def create_empty_raw(warehouse: Path) -> None:
    """A warehouse whose `raw` schema has every contract table, empty (the contract's DDL)."""
    con = duckdb.connect(str(warehouse))
    try:
        con.execute("create schema if not exists raw")
        for entity in contract.ENTITIES:
            con.execute(contract.raw_table_ddl(entity))
    finally:
        con.close()


def read_table(
    con: duckdb.DuckDBPyConnection, relation: str, *, drop: tuple[str, ...] = ()
) -> list[tuple[Any, ...]]:
    """Every row of a table, sorted by all its columns, without the `drop` columns."""
    schema, table = relation.split(".")
    cols = [
        r[0]
        for r in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [schema, table],
        ).fetchall()
        if r[0] not in drop
    ]
    if not cols:
        raise AssertionError(f"{relation} does not exist or has no columns")
    col_list = ", ".join(f'"{c}"' for c in cols)
    return con.execute(f"select {col_list} from {relation} order by {col_list}").fetchall()


def differences(
    a: list[tuple[Any, ...]], b: list[tuple[Any, ...]], *, rel_tol: float = 1e-9
) -> list[str]:
    """Rows of two sorted tables that differ, floats compared to `rel_tol` (1e-12 absolute).

    Exact equality is wrong for doubles: DuckDB sums floats in parallel in no fixed order, so
    an aggregate such as a chi-square statistic can differ in its last bits between two builds
    of the same data. Everything else (keys, counts, money as DECIMAL, dates) must be equal.
    """
    if len(a) != len(b):
        only_a, only_b = len(set(a) - set(b)), len(set(b) - set(a))
        return [f"{len(a)} rows vs {len(b)} ({only_a} only in the first, {only_b} in the second)"]
    found = []
    for row_a, row_b in zip(a, b, strict=True):
        for x, y in zip(row_a, row_b, strict=True):
            if isinstance(x, float) and isinstance(y, float):
                same = math.isclose(x, y, rel_tol=rel_tol, abs_tol=1e-12) or (x != x and y != y)
            else:
                same = x == y
            if not same:
                found.append(f"{row_a} != {row_b}")
                break
    return found


def tables_in(con: duckdb.DuckDBPyConnection, schema: str) -> list[str]:
    return [
        r[0]
        for r in con.execute(
            "select table_name from information_schema.tables "
            "where table_schema = ? and table_type = 'BASE TABLE' order by 1",
            [schema],
        ).fetchall()
    ]
