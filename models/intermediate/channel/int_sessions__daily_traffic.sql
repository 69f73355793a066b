{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **incremental_by_day('session_date')
    )
}}

{#
    Visitors per session date: distinct visitor_ids with a session, and those with a session a
    counted order names. These distinct counts over every session were most of the overview's
    cost; kept per day, a run recounts only the days int_sessions__converted rewrote since this
    table's last build.
#}

with

sessions as (

    {{ rows_of_days_rebuilt_upstream(ref('int_sessions__converted'), 'session_date') }}

),

daily as (

    select
        session_date,
        count(distinct visitor_id) as visitors,
        count(distinct case when is_converted then visitor_id end) as converting_visitors,
        {{ run_timestamp() }} as built_at
    from sessions
    group by 1

)

select * from daily
