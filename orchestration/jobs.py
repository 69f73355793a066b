"""The one job: every asset (raw, dbt, publish) and their checks, executed in one process."""

from __future__ import annotations

from dagster import AssetSelection, define_asset_job

RUN_JOB_NAME = "shopsight_run"

shopsight_run = define_asset_job(
    RUN_JOB_NAME,
    selection=AssetSelection.all(),
    description="Ingest new and re-delivered landing deliveries, gate them, dbt build, publish.",
)
