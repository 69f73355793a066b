"""A daily fallback run (06:00 Shanghai) in case the sensor missed a delivery or is off.

It covers every delivery date present in the landing zone; the raw assets load only what is
new or re-delivered, so a run with nothing pending just rebuilds and republishes.
"""

from dagster import RunRequest, ScheduleEvaluationContext, SkipReason, schedule

from orchestration.jobs import RUN_JOB_NAME
from orchestration.partitions import range_tags
from shopsight import contract
from shopsight import settings as settings_module
from shopsight.ingest.layout import discover


@schedule(
    job_name=RUN_JOB_NAME,
    cron_schedule="0 6 * * *",
    execution_timezone=contract.BUSINESS_TIMEZONE,
)
def daily_fallback(context: ScheduleEvaluationContext) -> RunRequest | SkipReason:
    deliveries = discover(settings_module.load().landing_dir)
    if not deliveries:
        return SkipReason("the landing zone holds no complete delivery")
    first = min(d.dt for d in deliveries).isoformat()
    last = max(d.dt for d in deliveries).isoformat()
    return RunRequest(
        run_key=None,
        tags={**range_tags(first, last), "shopsight/trigger": "daily_fallback"},
    )
