{#
    The config that makes a model incremental by day: each run replaces whole days (those its
    new rows fall in) and leaves the others as they are. On DuckDB that is `delete+insert` on
    the date key; Spark's version (partition overwrite) is in spark.sql.

        {{ config(materialized='incremental', **incremental_by_day('event_date')) }}
#}
{% macro incremental_by_day(date_column) -%}
    {{ return(adapter.dispatch('incremental_by_day', 'shopsight')(date_column)) }}
{%- endmacro %}

{% macro default__incremental_by_day(date_column) -%}
    {{ return({'incremental_strategy': 'delete+insert', 'unique_key': date_column}) }}
{%- endmacro %}
