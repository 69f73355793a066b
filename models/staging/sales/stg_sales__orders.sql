with

source as (

    select * from {{ source('sales', 'orders') }}

),

versions as (

    -- An order can be re-delivered with a newer updated_at (paid -> refunded); the newest
    -- version is its state. Ties go to the later delivery, then the later row of the file.
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
        buyer_id,
        brand_id,
        session_id,
        store_id,

        -- dimensions
        terminal,
        {{ terminal_group('terminal') }} as terminal_group,
        terminal != 'offline_pos' as is_online,
        traffic_source,
        fulfilment,
        status,
        currency,

        -- amounts
        cast(order_amount as decimal(18, 2)) as order_amount,
        cast(discount_amount as decimal(18, 2)) as discount_amount,

        -- timestamps
        order_ts,
        {{ business_date('order_ts') }} as order_date,
        updated_at,
        _dt as delivered_on

    from versions
    where version_rank = 1

)

select * from renamed
