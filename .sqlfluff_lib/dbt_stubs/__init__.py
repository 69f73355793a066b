"""Stand-ins for dbt's Jinja context so that sqlfluff's plain Jinja templater can render our
models without a database or a dbt parse.

sqlfluff's `apply_dbt_builtins` covers ref/source/config/var/is_incremental; this package adds
`adapter.dispatch` (resolving to our own `duckdb__`/`default__` macros, so the SQL linted is the
SQL DuckDB runs) and the cross-database `dbt.*` macros we call, rendered as DuckDB SQL.
"""
