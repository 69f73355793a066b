-- The overview's visitors and converting visitors are fct_sessions' distinct visitor ids of
-- the day (all of them, and those with a converted session).
with

sessions as (

    select
        session_date,
        count(distinct visitor_id) as visitors,
        count(distinct case when is_converted then visitor_id end) as converting_visitors
    from {{ ref('fct_sessions') }}
    group by 1

)

select
    overview.date,
    overview.visitors,
    sessions.visitors as session_visitors,
    overview.converting_visitors,
    sessions.converting_visitors as session_converting_visitors
from {{ ref('kpi_overview_daily') }} as overview
left join sessions
    on overview.date = sessions.session_date
where
    overview.visitors != coalesce(sessions.visitors, 0)
    or overview.converting_visitors != coalesce(sessions.converting_visitors, 0)
