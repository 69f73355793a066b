with

sessions as (

    select * from {{ ref('int_sessions__converted') }}

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
        is_converted
    from sessions

)

select * from final
