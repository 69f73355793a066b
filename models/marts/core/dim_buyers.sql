with

buyers as (

    select * from {{ ref('stg_reference__buyers') }}

),

history as (

    select
        buyer_id,
        count(*) as counted_orders,
        sum(order_amount) as lifetime_gmv,
        sum(case when is_online then 1 else 0 end) as online_orders,
        sum(case when is_online then 0 else 1 end) as offline_orders,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date
    from {{ ref('int_buyers__order_history') }}
    group by 1

),

final as (

    -- A full join: reference snapshots arrive monthly and orders daily, so a buyer who
    -- registered after the latest snapshot can already have orders. Such a buyer is kept
    -- (attributes unknown until the next snapshot), or the lifecycle and channel marts,
    -- which count buyers from orders, would count people this dimension does not have.
    select
        coalesce(buyers.buyer_id, history.buyer_id) as buyer_id,
        buyers.buyer_id is not null as is_in_snapshot,
        buyers.city,
        buyers.city_tier,
        buyers.registered_at,
        buyers.registered_date,
        history.first_order_date,
        history.last_order_date,
        coalesce(history.counted_orders, 0) as counted_orders,
        coalesce(history.online_orders, 0) as online_orders,
        coalesce(history.offline_orders, 0) as offline_orders,
        coalesce(history.lifetime_gmv, 0) as lifetime_gmv
    from buyers
    full outer join history
        on buyers.buyer_id = history.buyer_id

)

select * from final
