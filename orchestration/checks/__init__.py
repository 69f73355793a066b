"""Quality gates: reconciliation and contract checks from the load itself (raw assets),
Great Expectations suites (`expectations/*.json`) and the daily order-volume warning."""
