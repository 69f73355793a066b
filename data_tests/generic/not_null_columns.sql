{#
    None of `columns` is ever null: one row per column that has nulls (with their count).

    The project's `not_null` test, declared once per model with the model's required columns
    rather than once per column. A daily run's cost is mostly per dbt node, not per row: each
    test node costs dbt ~27 ms and Dagster ~15 ms (an asset check planned, evaluated and
    stored) however few rows it reads, against ~1-2 ms of DuckDB. One node per model instead of
    one per column removed ~140 nodes from every run (docs/performance.md). The model is read
    once, whatever the number of columns, and the windowing of `get_where_subquery`
    (macros/test_window.sql) applies as to any generic test.
#}
{% test not_null_columns(model, columns) %}

with null_counts as (
    select
        {%- for column in columns %}
        sum(case when {{ column }} is null then 1 else 0 end) as nulls_{{ loop.index }}
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ model }}
)

{% for column in columns -%}
select
    '{{ column }}' as column_name,
    nulls_{{ loop.index }} as null_rows
from null_counts
where nulls_{{ loop.index }} > 0
{% if not loop.last %}union all
{% endif -%}
{%- endfor %}

{% endtest %}
