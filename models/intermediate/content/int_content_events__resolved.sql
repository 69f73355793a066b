{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='event_date',
        on_schema_change='fail'
    )
}}

{#
    Content events with the person behind them and the content they happened on. The person
    is the unified buyer id an identity link resolves (platform, platform_user_id) to, else
    'platform:platform_user_id' (an anonymous person of their own). Links are timeless: a link
    made later still says who the person was.
#}

with

events as (

    select * from {{ ref('stg_content__content_events') }}
    where {{ incremental_window('event_date') }}

),

links as (

    select * from {{ ref('stg_channel__identity_links') }}

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
        events.dwell_seconds
    from events
    left join links
        on
            events.platform = links.platform
            and events.platform_user_id = links.platform_user_id
    left join content
        on events.content_id = content.content_id

)

select * from resolved
