{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        meta={'test_window_built_at': true},
        **incremental_by_day('event_date')
    )
}}

{#
    Content events with the person behind them and the content they happened on. The person
    is the unified buyer id an identity link resolves (platform, platform_user_id) to, else
    'platform:platform_user_id' (an anonymous person of their own). Links are timeless: a link
    made later still says who the person was.

    Incremental by event_date. Besides the look-back days, a run rebuilds every day holding an
    event whose person a link delivered since then now resolves differently, so that a late
    link changes history exactly as a full refresh would.
#}

with

links as (

    select * from {{ ref('stg_channel__identity_links') }}

),

{% if is_incremental() %}
    relinked_days as (

        select distinct built.event_date
        from {{ this }} as built
        inner join links
            on
                built.platform = links.platform
                and built.platform_user_id = links.platform_user_id
        where built.person_id != links.buyer_id

    ),
{% endif %}

events as (

    select * from {{ ref('stg_content__content_events') }}
    where
        {{ incremental_window('event_date') }}
        {% if is_incremental() %}
            or event_date in (select relinked_days.event_date from relinked_days)
        {% endif %}

),

content as (

    select * from {{ ref('stg_content__content_items') }}

),

resolved as (

    select
        events.event_id,
        events.event_date,
        events.event_ts,
        events.event_type,
        events.platform,
        events.platform_user_id,
        coalesce(
            links.buyer_id,
            {{ dbt.concat(['events.platform', "':'", 'events.platform_user_id']) }}
        ) as person_id,
        links.buyer_id is not null as is_identified,
        events.content_id,
        content.creator_id,
        content.content_type,
        content.platform as content_platform,
        events.sku_id,
        events.dwell_seconds,
        {{ run_timestamp() }} as built_at
    from events
    left join links
        on
            events.platform = links.platform
            and events.platform_user_id = links.platform_user_id
    left join content
        on events.content_id = content.content_id

)

select * from resolved
