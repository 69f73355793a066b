"""Start a run when a delivery completes: a new or rewritten `_SUCCESS` in the landing zone.

The cursor holds the latest `_SUCCESS` mtimes seen: a watermark (the newest mtime minus a grace
period) and the exact mtime of every delivery newer than the watermark. A delivery is new or
re-delivered when its `_SUCCESS` is newer than the watermark and not the mtime we saw. The
grace period catches writers whose `_SUCCESS` lands slightly out of order (two feeds writing at
once) without keeping every delivery of every year in the cursor. The run request covers the
changed delivery dates; the raw assets themselves decide what is pending against
`ops.deliveries`, so a duplicate request is harmless.
"""

import json

from dagster import RunRequest, SensorEvaluationContext, SensorResult, SkipReason, sensor

from orchestration.jobs import RUN_JOB_NAME
from orchestration.partitions import range_tags
from shopsight import settings as settings_module
from shopsight.ingest.layout import Delivery, discover

GRACE_US = 10 * 60 * 1_000_000  # ten minutes


def _key(d: Delivery) -> str:
    return f"{d.entity}/{d.partition_key}"


def changed_deliveries(
    deliveries: list[Delivery], cursor: str | None
) -> tuple[list[Delivery], str]:
    """The deliveries new or re-delivered since `cursor`, and the cursor to store next."""
    state = json.loads(cursor) if cursor else {"watermark": -1, "seen": {}}
    watermark, seen = int(state["watermark"]), state["seen"]
    changed = [
        d
        for d in deliveries
        if d.success_mtime_us > watermark and seen.get(_key(d)) != d.success_mtime_us
    ]
    newest = max([d.success_mtime_us for d in deliveries] + [watermark])
    next_watermark = max(watermark, newest - GRACE_US)
    next_seen = {
        _key(d): d.success_mtime_us for d in deliveries if d.success_mtime_us > next_watermark
    }
    return changed, json.dumps({"watermark": next_watermark, "seen": next_seen})


@sensor(job_name=RUN_JOB_NAME, minimum_interval_seconds=60)
def landing_sensor(context: SensorEvaluationContext) -> SensorResult | SkipReason:
    landing = settings_module.load().landing_dir
    changed, cursor = changed_deliveries(discover(landing), context.cursor)
    if not changed:
        return SkipReason(f"no new or re-delivered _SUCCESS under {landing}")
    first = min(d.dt for d in changed).isoformat()
    last = max(d.dt for d in changed).isoformat()
    newest = max(d.success_mtime_us for d in changed)
    request = RunRequest(
        run_key=f"landing-{first}-{last}-{newest}-{len(changed)}",
        tags={**range_tags(first, last), "shopsight/trigger": "landing_sensor"},
    )
    context.log.info(f"{len(changed)} delivery(ies) new or re-delivered, dt {first}..{last}")
    return SensorResult(run_requests=[request], cursor=cursor)
