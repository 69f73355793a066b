with

latest_snapshot as (

    -- The newest full snapshot, one row per creator_id (macros/latest_snapshot.sql).
    {{ latest_snapshot(source('reference', 'creators'), 'creator_id') }}

),

renamed as (

    select
        -- ids
        creator_id,
        brand_id,

        -- dimensions
        creator_name,
        home_platform,
        kind

    from latest_snapshot

)

select * from renamed
