{#
    dbt's own `safe_cast` falls back to a plain cast on DuckDB, which raises on a bad value.
    DuckDB has `try_cast`, which yields null instead, as the macro's name promises.
#}
{% macro duckdb__safe_cast(field, type) -%}
    try_cast({{ field }} as {{ type }})
{%- endmacro %}
