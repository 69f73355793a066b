{#
    One row per element of an array column: `select <id columns>, <element> as <alias>`.
    Empty and null arrays yield no rows.
#}
{% macro explode_array(relation, id_columns, array_column, alias) -%}
    {{ return(adapter.dispatch('explode_array', 'shopsight')(relation, id_columns, array_column, alias)) }}
{%- endmacro %}

{% macro duckdb__explode_array(relation, id_columns, array_column, alias) -%}
    select
        {{ id_columns | join(', ') }},
        unnest({{ array_column }}) as {{ alias }}
    from {{ relation }}
{%- endmacro %}
