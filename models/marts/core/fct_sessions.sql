{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        meta={'test_window_built_at': true},
        **incremental_by_day('session_date')
    )
}}

{#
    Incremental by session_date: a run copies the days that int_sessions__converted rewrote
    since this table's last build (its rows carry a newer `built_at`), so a one-day run copies
    about a week of sessions instead of all of them.
#}

with

sessions as (

    {{ rows_of_days_rebuilt_upstream(ref('int_sessions__converted'), 'session_date') }}

),

final as (

    select
        session_id,
        session_date,
        session_start_ts,
        visitor_id,
        buyer_id,
        person_id,
        terminal,
        terminal_group,
        traffic_source,
        landing_page,
        content_id,
        experiment_id,
        variant,
        page_views,
        orders,
        gmv,
        is_converted,
        built_at
    from sessions

)

select * from final
