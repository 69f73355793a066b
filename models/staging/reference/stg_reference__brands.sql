with

latest_snapshot as (

    -- The newest full snapshot, one row per brand_id (macros/latest_snapshot.sql).
    {{ latest_snapshot(source('reference', 'brands'), 'brand_id') }}

),

renamed as (

    select
        -- ids
        brand_id,

        -- dimensions
        brand_name,
        category,
        is_flagship

    from latest_snapshot

)

select * from renamed
