with

source as (

    select * from {{ source('content', 'content_events') }}

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
