{#
    The rows an incremental model rebuilds, as a SQL condition on its date key.

    On a full build: every row (`1 = 1`). On an incremental run: the days from `lookback_days`
    before the newest day already built, so that late rows (the landing contract accepts
    events up to 7 days late) and re-delivered versions replace what was built before. The
    model's `delete+insert` on the same date key then swaps those days whole, which is what
    keeps an incremental run identical to a full refresh.

    The window's first day may be pinned (`pinned_min_date`), and its last with
    `--vars '{max_date: ...}'`; a pinned window only narrows incremental runs, never a full build.
#}
{% macro incremental_window(date_column, target_column=none) -%}
    {%- if is_incremental() -%}
        {{ date_column }} >= {{ window_start(target_column or date_column) }}
        {%- if var('max_date', none) %}
            and {{ date_column }} <= cast('{{ var("max_date") }}' as date)
        {%- endif -%}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#
    The same window as `incremental_window`, as a condition on a source's delivery date `_dt`,
    for a model that de-duplicates deliveries before it knows each row's date.

    A delivery holds rows up to `lookback_days` late and never ahead of its `dt`, so every row
    dated on or after the window's first day came in a delivery dated on or after that day;
    de-duplicating only those deliveries gives the window's rows exactly as de-duplicating all
    of them would (a re-sent copy of a row is delivered after the row itself). There is no
    upper bound: a later delivery may hold a newer version of a row inside the window.
#}
{% macro delivered_in_window(target_column, delivery_column='_dt') -%}
    {%- if is_incremental() -%}
        {{ delivery_column }} >= {{ window_start(target_column) }}
    {%- else -%}
        1 = 1
    {%- endif -%}
{%- endmacro %}

{#
    The first day of the window when a run pins it, else none: `--vars '{min_date: ...}'` (by
    hand), or the environment variable SHOPSIGHT_DBT_MIN_DATE (how a Dagster run passes it).

    Why an environment variable for Dagster: dbt re-parses the whole project when the command
    line's `--vars` differ from those of its last parse, and a daily run's `min_date` differs
    every day (5-10 s a run). The variable is read only while executing (`execute`), never while
    parsing, so dbt's partial parse does not track it.
#}
{% macro pinned_min_date() -%}
    {%- if var('min_date', none) -%}
        {{ return(var('min_date')) }}
    {%- elif execute and env_var('SHOPSIGHT_DBT_MIN_DATE', '') -%}
        {{ return(env_var('SHOPSIGHT_DBT_MIN_DATE')) }}
    {%- endif -%}
    {{ return(none) }}
{%- endmacro %}

{#
    The first day an incremental run rebuilds: the pinned one (`pinned_min_date`), else
    `lookback_days` before the newest `target_column` value already built (1900-01-01 when none
    is).
#}
{% macro window_start(target_column) -%}
    {%- set pinned = pinned_min_date() -%}
    {%- if pinned -%}
        cast('{{ pinned }}' as date)
    {%- else -%}
        (
            select
                coalesce(
                    cast({{ dbt.dateadd('day', -1 * var('lookback_days') | int, 'max(' ~ target_column ~ ')') }} as date),
                    cast('1900-01-01' as date)
                )
            from {{ this }}
        )
    {%- endif -%}
{%- endmacro %}

{#
    The newest `built_at` among this incremental model's own rows, for a model that rebuilds the
    keys its upstream rewrote since (`upstream.built_at > {{ last_built_at() }}`). A table with
    no rows, because its first build ran before any delivery, gives the beginning of time: the
    next run then takes every upstream row, where a null would take none and leave the table
    empty for good.
#}
{% macro last_built_at() -%}
    (
        select coalesce(max(built.built_at), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
        from {{ this }} as built
    )
{%- endmacro %}

{#
    The days an incremental model downstream of `upstream` must rebuild: those holding rows
    `upstream` wrote since this model's own last build (rows carry the `built_at` of the dbt
    invocation that wrote them). It covers the upstream's look-back window and any older day
    it repaired, and it is right even when an earlier run built `upstream` and then failed
    before this model. A `select` of the distinct `date_column` values, for `in (...)`.
#}
{% macro days_rebuilt_upstream(upstream, date_column) -%}
    select distinct rebuilt.{{ date_column }}
    from {{ upstream }} as rebuilt
    cross join (
        select max(built.built_at) as last_built_at
        from {{ this }} as built
    ) as previous
    where
        previous.last_built_at is null
        or rebuilt.built_at > previous.last_built_at
{%- endmacro %}

{#
    `select *` from `upstream`, on an incremental run only its rows of the days it rewrote since
    this model's last build (`days_rebuilt_upstream`); `condition` (SQL) filters further. The
    first step of every model that re-aggregates an incremental upstream day by day.
#}
{% macro rows_of_days_rebuilt_upstream(upstream, date_column, condition=none) -%}
    select * from {{ upstream }}
    where
        {{ condition or '1 = 1' }}
        {%- if is_incremental() %}
            and {{ date_column }} in (
                {{ days_rebuilt_upstream(upstream, date_column) }}
            )
        {%- endif %}
{%- endmacro %}
