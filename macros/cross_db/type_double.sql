{#
    A 64-bit float. dbt's `type_float()` is not enough: on DuckDB `float` means a 4-byte REAL,
    which would ruin the statistics macros.
#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'shopsight')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro duckdb__type_double() -%}
    double
{%- endmacro %}
