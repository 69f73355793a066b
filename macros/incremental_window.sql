{#
    The rows an incremental model rebuilds, as a SQL condition on its date key.

    On a full build: every row (`1 = 1`). On an incremental run: the days from `lookback_days`
    before the newest day already built, so that late rows (the landing contract accepts
    events up to 7 days late) and re-delivered versions replace what was built before. The
    model's `delete+insert` on the same date key then swaps those days whole, which is what
    keeps an incremental run identical to a full refresh.

    Dagster (or a person) may pin the window with `--vars '{min_date: ..., max_date: ...}'`;
    the pinned window only narrows incremental runs, never a full build.
#}
{% macro incremental_window(date_column, target_column=none) -%}
    {%- set target_column = target_column or date_column -%}
    {%- if is_incremental() -%}
        {%- if var('min_date', none) -%}
            {{ date_column }} >= cast('{{ var("min_date") }}' as date)
        {%- else -%}
            {{ date_column }} >= (
                select
                    coalesce(
                        cast({{ dbt.dateadd('day', -1 * var('lookback_days') | int, 'max(' ~ target_column ~ ')') }} as date),
                        cast('1900-01-01' as date)
                    )
                from {{ this }}
            )
        {%- endif -%}
        {%- if var('max_date', none) %}
            and {{ date_column }} <= cast('{{ var("max_date") }}' as date)
        {%- endif -%}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}
