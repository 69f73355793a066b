"""Building the one `Definitions` for given settings (the runner builds its own per run)."""

from __future__ import annotations

from dagster import AssetKey, Definitions, ResourceDefinition, in_process_executor

from orchestration.assets.dbt import (
    build_dbt_assets,
    dbt_project,
    dbt_resource,
    has_dbt_project,
    incremental_mart_days,
    load_manifest,
)
from orchestration.assets.publish import build_publish_asset
from orchestration.assets.raw import build_raw_assets
from orchestration.checks.expectations import build_expectation_checks
from orchestration.checks.volume import build_volume_check
from orchestration.jobs import shopsight_run
from orchestration.resources import Reporter, ShopsightPaths
from orchestration.schedules import daily_fallback
from orchestration.sensors import landing_sensor
from shopsight import settings as settings_module
from shopsight.settings import Settings


def build_definitions(
    settings: Settings | None = None, reporter: Reporter | None = None
) -> Definitions:
    """The code location for `settings` (default: from the environment)."""
    settings = settings or settings_module.load()
    assets = list(build_raw_assets())
    mart_keys: list[AssetKey] = []
    day_keys: dict[str, str] = {}
    resources: dict[str, object] = {
        "paths": ShopsightPaths.from_settings(settings),
        "reporter": ResourceDefinition.hardcoded_resource(reporter or Reporter()),
    }
    if has_dbt_project():
        project = dbt_project()
        manifest = load_manifest(project)
        dbt_assets_def = build_dbt_assets(project, manifest)
        day_keys = incremental_mart_days(manifest)
        assets.append(dbt_assets_def)
        mart_keys = sorted((k for k in dbt_assets_def.keys if k.path[0] == "marts"), key=str)
        resources["dbt"] = dbt_resource()
    assets.append(build_publish_asset(mart_keys, day_keys))
    return Definitions(
        assets=assets,
        asset_checks=[*build_expectation_checks(), build_volume_check()],
        jobs=[shopsight_run],
        sensors=[landing_sensor],
        schedules=[daily_fallback],
        resources=resources,
        executor=in_process_executor,
    )
