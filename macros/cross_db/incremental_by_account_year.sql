{#
    The config of int_content_events__account_years, one row per (year, platform account) with
    the first days the account was active that year. On DuckDB an incremental table: the run's
    rows replace the stored rows of the same keys (`delete+insert`), and a key left with no
    first day at all (a re-delivery withdrew its only events in the window) is then deleted, so
    the table holds exactly what a full build would. On Spark, whose Parquet tables have no
    DELETE, a table rebuilt whole.
#}
{% macro incremental_by_account_year() -%}
    {{ return(adapter.dispatch('incremental_by_account_year', 'shopsight')()) }}
{%- endmacro %}

{% macro default__incremental_by_account_year() -%}
    {{ return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': ['year_start', 'platform', 'platform_user_id'],
        'post_hook': "{% if is_incremental() %}delete from {{ this }} where first_seen_on is null{% endif %}",
    }) }}
{%- endmacro %}
