{#
    The instant this dbt invocation started (UTC), as a SQL timestamp. Incremental models stamp
    the rows they write with it (`built_at`), so a model downstream can find the days an upstream
    model rewrote since the downstream model's own last build. Only compared with itself, so a
    zone-less timestamp is enough, and it is the one type name every engine shares.
#}
{% macro run_timestamp() -%}
    {{ return(adapter.dispatch('run_timestamp', 'shopsight')()) }}
{%- endmacro %}

{% macro default__run_timestamp() -%}
    cast('{{ run_started_at }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}
