{#
    ISO-8601 week number (1-53) and its ISO year, for "same week one year earlier" comparisons.
    Weeks start on Monday; week 1 is the week holding the year's first Thursday.
#}
{% macro iso_week(date_column) -%}
    {{ return(adapter.dispatch('iso_week', 'shopsight')(date_column)) }}
{%- endmacro %}

{% macro default__iso_week(date_column) -%}
    cast(extract(week from {{ date_column }}) as integer)
{%- endmacro %}

{% macro iso_year(date_column) -%}
    {{ return(adapter.dispatch('iso_year', 'shopsight')(date_column)) }}
{%- endmacro %}

{% macro default__iso_year(date_column) -%}
    cast(extract(isoyear from {{ date_column }}) as integer)
{%- endmacro %}
