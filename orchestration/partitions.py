"""Delivery-date partitions shared by every raw asset.

A partition is a landing `dt` (a business date in Asia/Shanghai). The range starts well before
the simulated world (2015-2016) so that any contract-following delivery of that era has a
partition; `end_offset=1` admits today's delivery in Shanghai.
"""

from __future__ import annotations

from dagster import DailyPartitionsDefinition

from shopsight import contract

PARTITIONS_START = "2014-01-01"

DELIVERY_DATES = DailyPartitionsDefinition(
    start_date=PARTITIONS_START,
    timezone=contract.BUSINESS_TIMEZONE,
    end_offset=1,
    fmt="%Y-%m-%d",
)

# Run tags: Dagster's own partition-range tags, and ours for a full refresh.
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"
FULL_REFRESH_TAG = "shopsight/full_refresh"


def range_tags(first: str, last: str) -> dict[str, str]:
    """Tags that make one run cover the delivery dates first..last (a single-run backfill)."""
    return {RANGE_START_TAG: first, RANGE_END_TAG: last}
