with

latest_snapshot as (

    -- The newest full snapshot, one row per store_id (macros/latest_snapshot.sql).
    {{ latest_snapshot(source('reference', 'stores'), 'store_id') }}

),

renamed as (

    select
        -- ids
        store_id,
        brand_id,

        -- dimensions
        store_name,
        city,
        city_tier,

        -- dates
        opened_on

    from latest_snapshot

)

select * from renamed
