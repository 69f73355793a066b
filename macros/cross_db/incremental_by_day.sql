{#
    The config of a model rebuilt incrementally by whole days (`date_column`): the days that
    `incremental_window` selects replace the same days of the table, whatever rows they held.
    DuckDB does it with delete+insert on the date key; Spark's Parquet tables have no DELETE,
    so there the table is partitioned by the date and the days are overwritten as partitions
    (macros/cross_db/spark.sql). Use: `config(materialized='incremental',
    **incremental_by_day('order_date'))`. `date_column` may also be a list of key columns
    (`['period_type', 'period_start']`): the rows of every key the run produces are replaced.
#}
{% macro incremental_by_day(date_column) -%}
    {{ return(adapter.dispatch('incremental_by_day', 'shopsight')(date_column)) }}
{%- endmacro %}

{% macro default__incremental_by_day(date_column) -%}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': date_column}) }}
{%- endmacro %}
