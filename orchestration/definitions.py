"""Shopsight's Dagster code location: `dagster dev -m orchestration.definitions`.

One `Definitions`: raw assets (one per landing entity, daily partitions by delivery date) with
their load checks and Great Expectations gates, the dbt project (one `dbt build` per run), the
publish step, the landing sensor and the daily fallback schedule. Everything executes in one
process, because DuckDB admits one writing process at a time.
"""

from __future__ import annotations

from orchestration.build import build_definitions

defs = build_definitions()
