with

source as (

    select * from {{ source('sales', 'shipments') }}

),

versions as (

    -- A shipment is updated when it is delivered; the newest updated_at is its state.
    select
        *,
        row_number() over (
            partition by order_id
            order by updated_at desc, _dt desc, _row_number desc, _source_file desc
        ) as version_rank
    from source

),

renamed as (

    select
        -- ids
        order_id,
        origin_id,

        -- dimensions
        origin_type,

        -- timestamps
        shipped_ts,
        promised_delivery_ts,
        delivered_ts,
        updated_at

    from versions
    where version_rank = 1

)

select * from renamed
