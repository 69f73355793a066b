{#
    Every order in its latest version, counted or not, with its shipment. `is_counted` applies
    the counted-order rule; the KPI marts read only counted orders.
#}

with

orders as (

    select * from {{ ref('stg_sales__orders') }}

),

shipments as (

    select * from {{ ref('stg_sales__shipments') }}

),

final as (

    select
        orders.order_id,
        orders.order_date,
        orders.buyer_id,
        orders.brand_id,
        orders.session_id,
        orders.store_id,
        orders.terminal,
        orders.terminal_group,
        orders.is_online,
        orders.traffic_source,
        orders.fulfilment,
        orders.status,
        orders.status in ('paid', 'refunded') as is_counted,
        orders.order_amount,
        orders.discount_amount,
        case when orders.status = 'paid' then orders.order_amount else 0 end as net_amount,
        orders.order_ts,
        shipments.origin_type,
        shipments.origin_id,
        shipments.shipped_ts,
        shipments.promised_delivery_ts,
        shipments.delivered_ts,
        {{ minutes_between('orders.order_ts', 'shipments.shipped_ts') }} as ship_minutes,
        shipments.order_id is not null as is_shipped,
        shipments.delivered_ts is not null as is_delivered,
        case
            when shipments.delivered_ts is not null
                then shipments.delivered_ts <= shipments.promised_delivery_ts
        end as is_delivered_on_time
    from orders
    left join shipments
        on orders.order_id = shipments.order_id

)

select * from final
