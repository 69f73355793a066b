"""The raw assets: `raw/<entity>` for each landing entity, partitioned by delivery date.

A run covers a range of delivery dates in ONE step (single-run backfill policy): the step loads
every delivery of the range that is new or re-delivered (or all of them on a full refresh) with
`shopsight.ingest`, which reads a whole batch of deliveries per statement, and emits each
entity's materialization with its load checks (reconciliation, readable deliveries, quarantine
rate) as blocking asset checks.
"""

from datetime import date

from dagster import (
    AssetExecutionContext,
    AssetKey,
    AssetsDefinition,
    AssetSpec,
    BackfillPolicy,
    MaterializeResult,
    MetadataValue,
    multi_asset,
)

from orchestration.checks import load_checks
from orchestration.checks.recording import partition_label, record
from orchestration.partitions import DELIVERY_DATES, FULL_REFRESH_TAG
from orchestration.resources import Reporter, ShopsightPaths
from shopsight import contract
from shopsight.ingest.layout import discover
from shopsight.ingest.loader import UNITS, EntityLoad, dependencies, load_order, load_unit, pending


def raw_key(entity: str) -> AssetKey:
    return AssetKey(["raw", entity])


def _spec(entity: contract.Entity) -> AssetSpec:
    reads = ", ".join(f"raw.{d}" for d in sorted(dependencies(entity)))
    return AssetSpec(
        key=raw_key(entity.name),
        group_name="raw",
        description=f"{entity.key}: {entity.description or 'reference snapshot'} Typed rows "
        "of every valid landed row, with lineage columns; rejected rows go to raw.quarantine."
        + (f" Loaded after {reads}, which its rows refer to." if reads else ""),
        kinds={"duckdb"},
        metadata={"table": f"raw.{entity.name}", "format": entity.format},
    )


def _metadata(load: EntityLoad) -> dict[str, object]:
    return {
        "deliveries": len(load.deliveries),
        "landed_rows": load.total("landed"),
        "loaded_rows": load.total("loaded"),
        "quarantined_rows": load.total("quarantined"),
        "duplicate_rows": load.total("duplicates"),
        "failed_deliveries": MetadataValue.json(
            [{"dt": str(d.dt), "error": d.error} for d in load.failed]
        ),
        "schema_drift": MetadataValue.json(load.drift),
        "ops.deliveries": MetadataValue.md(
            "| dt | landed | loaded | quarantined | duplicates | status |\n"
            "|---|---|---|---|---|---|\n"
            + "\n".join(
                f"| {d.dt} | {d.landed} | {d.loaded} | {d.quarantined} | {d.duplicates} | "
                f"{d.status} |"
                for d in load.deliveries[:60]
            )
        ),
        "seconds": round(load.seconds, 3),
    }


RAW_ASSET_NAME = "raw_landing"


def build_raw_assets() -> list[AssetsDefinition]:
    """One multi-asset with a `raw/<entity>` asset per landing entity.

    One step loads every selected entity, unit by unit in dependency order (reference snapshots
    first, orders with their lines), because references are judged against what loaded before.
    Keeping that order inside the step (rather than as Dagster dependencies between raw assets)
    means a failed gate on one entity stops what is built *from* it (dbt, publish) but never
    the loading, and so the quarantine, of the other entities.
    """
    entities = [contract.entity(m) for unit in load_order() for m in UNITS.get(unit, (unit,))]
    specs = [_spec(e) for e in entities]
    check_specs = [s for e in entities for s in load_checks.specs(raw_key(e.name))]

    @multi_asset(
        name=RAW_ASSET_NAME,
        specs=specs,
        check_specs=check_specs,
        partitions_def=DELIVERY_DATES,
        backfill_policy=BackfillPolicy.single_run(),
        can_subset=True,
        required_resource_keys={"paths", "reporter"},
    )
    def _raw(context: AssetExecutionContext):  # type: ignore[no-untyped-def]
        paths: ShopsightPaths = context.resources.paths
        reporter: Reporter = context.resources.reporter
        selected = {k.path[1] for k in context.selected_asset_keys}
        keys = context.partition_key_range
        first, last = date.fromisoformat(keys.start), date.fromisoformat(keys.end)
        full_refresh = context.run.tags.get(FULL_REFRESH_TAG) == "true"
        run_id = context.run.run_id
        for unit in load_order():
            members = [m for m in UNITS.get(unit, (unit,)) if m in selected]
            if not members:
                continue
            found = [d for d in discover(paths.landing, tuple(members)) if first <= d.dt <= last]
            with paths.writer() as con:
                todo = pending(con, found, full_refresh=full_refresh)
                loads = load_unit(con, unit, todo, paths.landing, run_id)
                results = {}
                for name in members:
                    results[name] = load_checks.evaluate(raw_key(name), loads[name])
                    for result, details in results[name]:
                        record(
                            con,
                            run_id=run_id,
                            check_name=result.check_name or "",
                            asset=f"raw/{name}",
                            partition=partition_label(keys.start, keys.end),
                            passed=result.passed,
                            severity="error",
                            details=details,
                        )
            for name in members:
                yield from _report(context, reporter, loads[name], results[name])

    return [_raw]


def _report(
    context: AssetExecutionContext,
    reporter: Reporter,
    load: EntityLoad,
    results: list,
):  # type: ignore[no-untyped-def]
    """Log, tally and emit one entity's materialization with its load checks."""
    name = load.entity
    for d in load.failed:
        context.log.error(f"delivery {name} dt={d.dt} failed: {d.error}")
    if load.drift:
        context.log.warning(f"schema drift in {name}: {', '.join(load.drift)}")
    reporter.add(
        "ingest",
        entities=[name] if load.deliveries else [],
        deliveries=len(load.deliveries),
        rows=load.total("loaded"),
        quarantined=load.total("quarantined"),
        failed=len(load.failed),
        seconds=load.seconds,
    )
    reporter.add(
        "checks",
        checks=len(results),
        failed_checks=[f"raw/{name}:{r.check_name}" for r, _ in results if not r.passed],
    )
    yield MaterializeResult(
        asset_key=raw_key(name),
        metadata=_metadata(load),
        check_results=[r for r, _ in results],
    )
