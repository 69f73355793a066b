"""A warning (not a gate) when a day's orders collapse: fewer than half the median of the
28 delivery days before it. Real drops happen (holidays, outages upstream), so a person should
look, but the data is not wrong and the run goes on."""

from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    asset_check,
)

from orchestration.assets.raw import raw_key
from orchestration.checks.recording import record
from orchestration.resources import Reporter, ShopsightPaths

CHECK_NAME = "daily_order_volume"
TRAILING_DAYS = 28
MIN_HISTORY_DAYS = 7  # too few earlier days make the median meaningless
LOW_FRACTION = 0.5

LOW_DAYS_SQL = f"""
with daily as (
    select _dt as dt, count(distinct order_id) as orders from raw.orders group by 1
),
judged as (
    select d.dt, d.orders,
           (select median(p.orders) from daily p
            where p.dt between d.dt - {TRAILING_DAYS} and d.dt - 1) as trailing_median,
           (select count(*) from daily p
            where p.dt between d.dt - {TRAILING_DAYS} and d.dt - 1) as history
    from daily d
    where d.dt in (select dt from ops.deliveries
                   where entity = 'orders' and run_id = $1 and status = 'loaded')
)
select dt, orders, trailing_median from judged
where history >= {MIN_HISTORY_DAYS} and orders < {LOW_FRACTION} * trailing_median
order by dt
"""


def build_volume_check() -> AssetChecksDefinition:
    @asset_check(
        asset=raw_key("orders"),
        name=CHECK_NAME,
        blocking=False,
        description="warns when a delivery day has fewer than half the trailing-28-day median "
        "of orders",
        required_resource_keys={"paths", "reporter"},
    )
    def _check(context: AssetCheckExecutionContext) -> AssetCheckResult:
        paths: ShopsightPaths = context.resources.paths
        reporter: Reporter = context.resources.reporter
        with paths.writer() as con:
            low = con.execute(LOW_DAYS_SQL, [context.run.run_id]).fetchall()
            details = {
                "low_days": [
                    {"dt": str(dt), "orders": n, "trailing_median": float(m)} for dt, n, m in low
                ]
            }
            record(
                con,
                run_id=context.run.run_id,
                check_name=CHECK_NAME,
                asset="raw/orders",
                partition=None,
                passed=not low,
                severity="warn",
                details=details,
            )
        reporter.add("checks", checks=1)
        return AssetCheckResult(
            passed=not low,
            severity=AssetCheckSeverity.WARN,
            metadata={"low_days": str(details["low_days"][:20])},
        )

    return _check
