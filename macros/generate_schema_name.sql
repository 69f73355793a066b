{#
    Models land in exactly the schema their folder names (staging, intermediate, marts), not in
    dbt's default "<target schema>_<custom schema>". The serving copy, the dashboard and the
    Dagster asset keys all name these schemas literally.
#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
