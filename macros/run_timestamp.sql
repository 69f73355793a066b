{#
    The instant this dbt invocation started, as a SQL timestamp literal. Incremental models stamp
    the rows they write with it (`built_at`), so a model downstream can find the days an upstream
    model rewrote since the downstream model's own last build.
#}
{% macro run_timestamp() -%}
    cast('{{ run_started_at }}' as timestamp with time zone)
{%- endmacro %}
