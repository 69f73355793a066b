-- One row per business date with counted orders: store fulfilment and pickup of online orders,
-- in-store sales, ship times (order to shipment, orders of the date with a shipment) and
-- on-time delivery.
with shipments as (
    select order_id, shipped_ts, promised_delivery_ts, delivered_ts
    from raw.shipments
    qualify row_number() over (
        partition by order_id order by updated_at desc, _dt desc, _source_file desc
    ) = 1
),

orders as (
    select
        o.*,
        (epoch_us(s.shipped_ts) - epoch_us(o.order_ts)) / 60000000.0 as ship_minutes,
        s.delivered_ts,
        s.promised_delivery_ts
    from lb_work.orders as o
    left join shipments as s on o.order_id = s.order_id
)

select
    order_date as date,
    count(*) filter (where online) as online_orders,
    count(*) filter (where online and fulfilment in ('store_ship', 'store_pickup'))
        as store_fulfilled_orders,
    store_fulfilled_orders / nullif(online_orders, 0) as store_fulfilled_share,
    count(*) filter (where online and fulfilment = 'store_pickup') as pickup_orders,
    pickup_orders / nullif(online_orders, 0) as pickup_share,
    count(*) filter (where fulfilment = 'in_store') as in_store_orders,
    coalesce(sum(order_amount) filter (where not online), 0) as offline_gmv,
    quantile_cont(ship_minutes, 0.5) as ship_minutes_p50,
    quantile_cont(ship_minutes, 0.9) as ship_minutes_p90,
    count(ship_minutes) as shipped_orders,
    count(*) filter (where ship_minutes <= 60) as shipped_within_1h_orders,
    shipped_within_1h_orders / nullif(shipped_orders, 0) as shipped_within_1h_share,
    count(delivered_ts) as delivered_orders,
    count(*) filter (where delivered_ts <= promised_delivery_ts) as on_time_orders,
    on_time_orders / nullif(delivered_orders, 0) as on_time_delivery_rate
from orders
group by order_date
