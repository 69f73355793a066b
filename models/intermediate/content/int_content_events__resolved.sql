{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        meta={'test_window_built_at': true},
        **incremental_by_group('event_date', 'identity_bucket')
    )
}}

{#
    Content events with the person behind them and the content they happened on. The person
    is the unified buyer id an identity link resolves (platform, platform_user_id) to, else
    'platform:platform_user_id' (an anonymous person of their own). Links are timeless: a link
    made later still says who the person was.

    Incremental by (event_date, identity_bucket), the bucket being a hash of the platform
    account (macros/cross_db/incremental_by_group.sql). A run rebuilds its look-back days whole
    and, before them, only the groups holding an event whose person a link delivered in the
    window now resolves differently: a late link changes history exactly as a full refresh
    would, while the run rewrites a few dozen events instead of a few dozen whole days. Links
    delivered before the window were applied by the run that loaded them (the same reasoning
    as the keyed staging models' window, macros/cross_db/incremental_by_key.sql).
#}

with

links as (

    select * from {{ ref('stg_channel__identity_links') }}

),

{% if is_incremental() %}
    relinked_groups as (

        select distinct
            built.event_date,
            built.identity_bucket
        from {{ this }} as built
        inner join links
            on
                built.platform = links.platform
                and built.platform_user_id = links.platform_user_id
        where
            links.delivered_on >= {{ window_start('event_date') }}
            and built.person_id != links.buyer_id

    ),
{% endif %}

{#- each branch reads the staging table itself: a CTE read twice would be materialized whole -#}
{% set events_with_bucket -%}
    select
        *,
        {{ hash_bucket('platform', 'platform_user_id') }} as identity_bucket
    from {{ ref('stg_content__content_events') }}
{%- endset %}

{#- the rows of the groups a late link touched, in this table or in staging -#}
{% set in_relinked_groups -%}
    event_date in (select relinked_groups.event_date from relinked_groups)
    and {{ in_groups('event_date', 'identity_bucket', 'relinked_groups') }}
{%- endset %}

rebuilt as (

    select
        events.*,
        cast(null as {{ dbt.type_string() }}) as previous_person_id,
        cast(null as {{ dbt.type_timestamp() }}) as previous_built_at
    from ({{ events_with_bucket }}) as events
    where {{ incremental_window('event_date') }}

    {% if is_incremental() %}
        -- a union, not an `or`: each branch then reads only its own days. A repaired event
        -- keeps the person it resolved to before (kpi_content_uv_growth adjusts its counts by
        -- the persons that moved instead of recounting whole periods).
        union all
        select
            events.*,
            previous.person_id as previous_person_id,
            previous.built_at as previous_built_at
        from (
            select * from ({{ events_with_bucket }}) as events
            where
                not ({{ incremental_window('event_date') }})
                and {{ in_relinked_groups }}
        ) as events
        left join (
            select
                event_id,
                person_id,
                built_at
            from {{ this }}
            where {{ in_relinked_groups }}
        ) as previous
            on events.event_id = previous.event_id
    {% endif %}

),

content as (

    select * from {{ ref('stg_content__content_items') }}

),

resolved as (

    select
        events.event_id,
        events.event_date,
        events.identity_bucket,
        events.event_ts,
        events.event_type,
        events.platform,
        events.platform_user_id,
        {{ resolved_person('links.buyer_id', 'events.platform', 'events.platform_user_id') }}
            as person_id,
        links.buyer_id is not null as is_identified,
        events.content_id,
        content.creator_id,
        content.content_type,
        content.platform as content_platform,
        events.sku_id,
        events.dwell_seconds,
        events.previous_person_id,
        events.previous_built_at,
        {{ run_timestamp() }} as built_at
    from rebuilt as events
    left join links
        on
            events.platform = links.platform
            and events.platform_user_id = links.platform_user_id
    left join content
        on events.content_id = content.content_id

)

select * from resolved
