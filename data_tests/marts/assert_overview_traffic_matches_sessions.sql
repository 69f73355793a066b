-- The overview's visitors and converting visitors are fct_sessions' distinct visitor ids of
-- the day (all of them, and those with a converted session).
-- On a run with a pinned window (a daily Dagster run) only the days whose sessions this run
-- rebuilt are recounted, as the windowed generic tests do (macros/test_window.sql): the other
-- days' counts were checked when they were built. Without a window, every day is.
-- Dagster shows this test as a check of kpi_overview_daily (it reads more than one model).
{{ config(meta={'dagster': {'ref': {'name': 'kpi_overview_daily'}}}) }}
{%- set windowed = pinned_min_date() %}

with

tested_days as (

    select distinct session_date
    from {{ ref('fct_sessions') }}
    {% if windowed -%}
        where built_at = {{ run_timestamp() }}
    {%- endif %}

),

sessions as (

    select
        fct_sessions.session_date,
        count(distinct fct_sessions.visitor_id) as visitors,
        count(distinct case when fct_sessions.is_converted then fct_sessions.visitor_id end)
            as converting_visitors
    from {{ ref('fct_sessions') }} as fct_sessions
    inner join tested_days
        on fct_sessions.session_date = tested_days.session_date
    group by 1

),

overview as (

    select overview_daily.*
    from {{ ref('kpi_overview_daily') }} as overview_daily
    {% if windowed -%}
        inner join tested_days
            on overview_daily.date = tested_days.session_date
    {%- endif %}

)

select
    overview.date,
    overview.visitors,
    sessions.visitors as session_visitors,
    overview.converting_visitors,
    sessions.converting_visitors as session_converting_visitors
from overview
left join sessions
    on overview.date = sessions.session_date
where
    overview.visitors != coalesce(sessions.visitors, 0)
    or overview.converting_visitors != coalesce(sessions.converting_visitors, 0)
