with

source as (

    select * from {{ source('reference', 'stores') }}

),

latest_delivery as (

    -- Every delivery is a full snapshot, so only the newest delivery date counts.
    select max(_dt) as snapshot_dt
    from source

),

latest_snapshot as (

    -- Within the snapshot a key should appear once; if two files repeat it, the later row wins.
    select
        source.*,
        row_number() over (
            partition by source.store_id
            order by source._row_number desc, source._source_file desc
        ) as row_rank
    from source
    inner join latest_delivery
        on source._dt = latest_delivery.snapshot_dt

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
    where row_rank = 1

)

select * from renamed
