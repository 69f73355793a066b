"""`shopsight bench`: time and memory of every pipeline stage, against baselines in the same run.

The modules each do one job: `measure` samples wall time and the process tree's peak memory,
`stages` runs the product's own stages, `lower_bound` and `peer` are the two baselines,
`dashboard` times the app's queries, `incremental` the daily runs, `overheads` the fixed costs,
`report` prints and saves the result, and `command` ties them into one CLI subcommand.
"""
