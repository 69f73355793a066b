"""Running Shopsight's dbt project on Apache Spark (the `spark` target of `profiles.yml`).

- `paths`: where Spark keeps its warehouse, metastore and scratch files, and the environment
  that points a dbt process at them and at the Parquet lake.
- `build`: one `dbt build --target spark` from the lake, with stage timings (the benchmark and
  `shopsight run --engine spark` call it).
- `serving`: loading the serving extract that a Spark run writes as Parquet into DuckDB.

Nothing here imports pyspark: dbt-spark's `session` method starts the JVM inside the dbt
process, so the JVM lives and dies with each dbt invocation.
"""
