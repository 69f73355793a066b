{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **incremental_by_day('event_date')
    )
}}

{#
    Incremental by event_date, unlike the other staging models (views): this is one of the two
    largest sources (about 10 million rows a year at scale 1). As a view, its
    de-duplication ran over every delivery ever loaded for each data test on it and for each
    model reading it, so a one-day run cost more the longer the history. Here a run
    de-duplicates only the deliveries that can hold rows of the days it rebuilds
    (`delivered_in_window`), and the tests read a table.
#}

with

source as (

    select * from {{ source('content', 'content_events') }}
    where {{ delivered_in_window('event_date') }}

),

deliveries as (

    -- The same event may be delivered twice (at-least-once tracking). Keep its first
    -- delivery, so that a re-sent copy never moves an event already counted.
    select
        *,
        row_number() over (
            partition by event_id
            order by _dt asc, _row_number asc, _source_file asc
        ) as delivery_rank
    from source

),

renamed as (

    select
        -- ids
        event_id,
        content_id,
        platform_user_id,
        sku_id,

        -- dimensions
        platform,
        event_type,

        -- measures
        dwell_seconds,

        -- timestamps
        event_ts,
        {{ business_date('event_ts') }} as event_date

    from deliveries
    where delivery_rank = 1

)

select * from renamed
where {{ incremental_window('event_date') }}
