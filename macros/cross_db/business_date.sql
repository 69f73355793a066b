{#
    The business date of an instant: its wall-clock time in Asia/Shanghai, then the date.
    Timestamps are stored as UTC instants, so this is the only place the business time zone
    enters the SQL.
#}
{% macro business_date(column, tz='Asia/Shanghai') -%}
    {{ return(adapter.dispatch('business_date', 'shopsight')(column, tz)) }}
{%- endmacro %}

{% macro default__business_date(column, tz) -%}
    cast(({{ column }}) at time zone '{{ tz }}' as date)
{%- endmacro %}

{% macro duckdb__business_date(column, tz) -%}
    cast(timezone('{{ tz }}', {{ column }}) as date)
{%- endmacro %}
