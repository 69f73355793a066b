"""Start a run when a delivery completes: a new or rewritten `_SUCCESS` in the landing zone.

The cursor is the newest `_SUCCESS` mtime seen (microseconds). A re-delivery rewrites
`_SUCCESS`, so its mtime passes the cursor just like a new delivery's. The run request covers
the delivery dates of what changed; the raw assets themselves decide what is pending (new, or
newer than what `ops.deliveries` recorded), so a duplicate request is harmless.
"""

from dagster import RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from orchestration.jobs import RUN_JOB_NAME
from orchestration.partitions import range_tags
from shopsight import settings as settings_module
from shopsight.ingest.layout import discover


@sensor(job_name=RUN_JOB_NAME, minimum_interval_seconds=60)
def landing_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    landing = settings_module.load().landing_dir
    cursor = int(context.cursor) if context.cursor else -1
    changed = [d for d in discover(landing) if d.success_mtime_us > cursor]
    if not changed:
        return SkipReason(f"no new or re-delivered _SUCCESS under {landing}")
    newest = max(d.success_mtime_us for d in changed)
    first = min(d.dt for d in changed).isoformat()
    last = max(d.dt for d in changed).isoformat()
    request = RunRequest(
        run_key=f"landing-{newest}",
        tags={**range_tags(first, last), "shopsight/trigger": "landing_sensor"},
    )
    context.log.info(f"{len(changed)} delivery(ies) new or re-delivered, dt {first}..{last}")
    return SensorResult(run_requests=[request], cursor=str(newest))
