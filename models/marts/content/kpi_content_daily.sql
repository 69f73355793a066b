{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **incremental_by_day('date')
    )
}}

{#
    Content engagement per business date, platform where the event happened, and content type.
    Persons are resolved across platforms (see the `person` definition), so a buyer viewing on
    Weibo and on Taobao the same day is one content viewer in the day's roll-up — but one per
    platform here, since the platform is part of the grain.

    Incremental by date: a run re-aggregates only the days int_content_events__resolved
    rewrote since this table's last build (the look-back window and any day a late identity
    link re-identified), so a one-day run reads about a week of events, not all of them.
#}

with

events as (

    {{ rows_of_days_rebuilt_upstream(ref('int_content_events__resolved'), 'event_date') }}

),

daily as (

    select
        event_date,
        platform,
        content_type,
        count(distinct case when event_type = 'view' then person_id end) as content_uv,
        sum(case when event_type = 'view' then 1 else 0 end) as views,
        count(distinct case when event_type = 'product_click' then person_id end)
            as product_clickers,
        sum(case when event_type = 'product_click' then 1 else 0 end) as product_clicks,
        sum(case when event_type = 'like' then 1 else 0 end) as likes,
        sum(case when event_type = 'share' then 1 else 0 end) as shares,
        sum(case when event_type = 'follow' then 1 else 0 end) as follows,
        sum(case when event_type = 'view' then dwell_seconds else 0 end) as total_dwell_seconds,
        sum(case when event_type = 'view' and dwell_seconds is not null then 1 else 0 end)
            as views_with_dwell
    from events
    group by 1, 2, 3

),

final as (

    select
        event_date as date,
        platform,
        content_type,
        content_uv,
        views,
        product_clickers,
        product_clicks,
        {{ safe_divide('product_clickers', 'content_uv') }} as click_through_rate,
        likes,
        shares,
        follows,
        total_dwell_seconds,
        views_with_dwell,
        {{ safe_divide('total_dwell_seconds', 'views_with_dwell') }} as avg_dwell_seconds,
        {{ run_timestamp() }} as built_at
    from daily

)

select * from final
