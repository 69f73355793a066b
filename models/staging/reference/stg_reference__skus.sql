with

latest_snapshot as (

    -- The newest full snapshot, one row per sku_id (macros/latest_snapshot.sql).
    {{ latest_snapshot(source('reference', 'skus'), 'sku_id') }}

),

renamed as (

    select
        -- ids
        sku_id,
        brand_id,

        -- dimensions
        category,

        -- amounts
        cast(list_price as decimal(18, 2)) as list_price

    from latest_snapshot

)

select * from renamed
