{{
    config(
        on_schema_change='fail',
        meta={'test_window_built_at': true},
        **incremental_by_key_of('order_id', 'stg_sales__orders')
    )
}}

{#
    Every order in its latest version, counted or not, with its shipment. `is_counted` applies
    the counted-order rule; the KPI marts read only counted orders.

    Incremental by order (macros/cross_db/incremental_by_key.sql, `incremental_by_key_of`): a
    run rewrites the orders whose version or shipment the keyed staging tables rewrote since
    this table's last build (about the orders of a week of deliveries), and those whose
    shipment a re-delivered folder withdrew; orders withdrawn from stg_sales__orders are then
    deleted. A table on Spark, rebuilt whole.
#}

with

{% if is_incremental() %}
    touched as (

        select rewritten.order_id
        from {{ ref('stg_sales__orders') }} as rewritten
        where rewritten.built_at > {{ last_built_at() }}

        union

        select rewritten.order_id
        from {{ ref('stg_sales__shipments') }} as rewritten
        where rewritten.built_at > {{ last_built_at() }}

        union

        -- A shipment is withdrawn only from a delivery in the window (`withdrawn_keys`), so
        -- only the rows holding such a shipment are looked up.
        select kept.order_id
        from {{ this }} as kept
        where
            kept.shipment_delivered_on >= {{ window_start('shipment_delivered_on') }}
            and not exists (
                select 1 from {{ ref('stg_sales__shipments') }} as current_shipments
                where current_shipments.order_id = kept.order_id
            )

    ),
{% endif %}

orders as (

    select * from {{ ref('stg_sales__orders') }}
    {% if is_incremental() %}
        where order_id in (select touched.order_id from touched)
    {% endif %}

),

shipments as (

    select * from {{ ref('stg_sales__shipments') }}
    {% if is_incremental() %}
        where order_id in (select touched.order_id from touched)
    {% endif %}

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
        end as is_delivered_on_time,
        orders.delivered_on,
        shipments.delivered_on as shipment_delivered_on,
        {{ run_timestamp() }} as built_at
    from orders
    left join shipments
        on orders.order_id = shipments.order_id

)

select * from final
