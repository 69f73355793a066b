{#
    Elapsed minutes between two instants, with fractions (dbt.datediff counts minute
    boundaries crossed instead, which would round a 59-second ship time to 0 or 1).
#}
{% macro minutes_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('minutes_between', 'shopsight')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__minutes_between(start_ts, end_ts) -%}
    (extract(epoch from {{ end_ts }}) - extract(epoch from {{ start_ts }})) / 6.0e1
{%- endmacro %}

{% macro duckdb__minutes_between(start_ts, end_ts) -%}
    (epoch_us({{ end_ts }}) - epoch_us({{ start_ts }})) / 6.0e7
{%- endmacro %}
