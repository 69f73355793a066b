{#
    One row per entry of a JSON object of numbers (e.g. an experiment's planned allocation
    '{"control": 0.5, "b": 0.5}'): `select <id columns>, <key> as <key_alias>, <value as
    double> as <value_alias>`.
#}
{% macro json_weights(relation, id_columns, json_column, key_alias, value_alias) -%}
    {{ return(adapter.dispatch('json_weights', 'shopsight')(relation, id_columns, json_column, key_alias, value_alias)) }}
{%- endmacro %}

{% macro duckdb__json_weights(relation, id_columns, json_column, key_alias, value_alias) -%}
    select
        {{ id_columns | join(', ') }},
        {{ key_alias }},
        cast(json_extract({{ json_column }}, '$."' || {{ key_alias }} || '"') as double)
            as {{ value_alias }}
    from (
        select
            {{ id_columns | join(', ') }},
            {{ json_column }},
            unnest(json_keys({{ json_column }})) as {{ key_alias }}
        from {{ relation }}
    ) as json_keys_exploded
{%- endmacro %}
