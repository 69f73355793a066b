with

source as (

    select * from {{ source('sales', 'order_items') }}

),

versions as (

    -- Lines travel with their order; when an order is re-delivered its lines may come again.
    -- The latest delivery of a line wins.
    select
        *,
        row_number() over (
            partition by order_id, line_no
            order by _dt desc, _row_number desc, _source_file desc
        ) as version_rank
    from source

),

renamed as (

    select
        -- ids
        order_id,
        line_no,
        sku_id,

        -- amounts
        quantity,
        cast(unit_price as decimal(18, 2)) as unit_price,
        cast(quantity * unit_price as decimal(18, 2)) as line_amount

    from versions
    where version_rank = 1

)

select * from renamed
