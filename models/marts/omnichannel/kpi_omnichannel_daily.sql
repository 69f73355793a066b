{#
    "New retail" per business date: online orders fulfilled by stores, store pickup, till
    sales, and how fast parcels leave. Ship times run from order_ts to shipped_ts over the
    date's counted orders that have a shipment; on-time delivery is over those delivered.
#}

with

orders as (

    select * from {{ ref('fct_orders') }}
    where is_counted

),

daily as (

    select
        order_date,
        sum(case when is_online then 1 else 0 end) as online_orders,
        sum(
            case when is_online and fulfilment in ('store_ship', 'store_pickup') then 1 else 0 end
        ) as store_fulfilled_orders,
        sum(case when is_online and fulfilment = 'store_pickup' then 1 else 0 end)
            as pickup_orders,
        sum(case when fulfilment = 'in_store' then 1 else 0 end) as in_store_orders,
        sum(case when is_online then 0 else 1 end) as offline_orders,
        sum(case when is_online then 0 else order_amount end) as offline_gmv,
        sum(case when is_shipped then 1 else 0 end) as shipped_orders,
        {{ percentile_cont('ship_minutes', 0.5) }} as ship_minutes_p50,
        {{ percentile_cont('ship_minutes', 0.9) }} as ship_minutes_p90,
        sum(case when ship_minutes <= 60 then 1 else 0 end) as shipped_within_1h_orders,
        sum(case when is_delivered then 1 else 0 end) as delivered_orders,
        sum(case when is_delivered_on_time then 1 else 0 end) as on_time_delivered_orders
    from orders
    group by 1

),

final as (

    select
        order_date as date,
        online_orders,
        store_fulfilled_orders,
        {{ safe_divide('store_fulfilled_orders', 'online_orders') }} as store_fulfilled_share,
        pickup_orders,
        {{ safe_divide('pickup_orders', 'online_orders') }} as pickup_share,
        in_store_orders,
        offline_orders,
        offline_gmv,
        shipped_orders,
        ship_minutes_p50,
        ship_minutes_p90,
        shipped_within_1h_orders,
        {{ safe_divide('shipped_within_1h_orders', 'shipped_orders') }} as shipped_within_1h_share,
        delivered_orders,
        on_time_delivered_orders,
        {{ safe_divide('on_time_delivered_orders', 'delivered_orders') }} as on_time_delivery_rate
    from daily

)

select * from final
