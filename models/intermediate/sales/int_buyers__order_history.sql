{#
    Each counted order placed in its buyer's history: its rank among the buyer's orders, the
    buyer's first order, and the orders before and after it. Lifecycle states, experiment
    segments and buyer dimensions all read "what did this buyer do before" from here; the
    lifecycle mart's repeat-purchase rate reads how long each order stayed the buyer's latest.
#}

with

orders as (

    select * from {{ ref('int_orders__counted') }}

),

history as (

    select
        order_id,
        buyer_id,
        order_ts,
        order_date,
        order_amount,
        is_online,
        row_number() over (
            partition by buyer_id
            order by order_ts, order_id
        ) as buyer_order_number,
        min(order_date) over (partition by buyer_id) as first_order_date,
        lag(order_date) over (
            partition by buyer_id
            order by order_ts, order_id
        ) as previous_order_date,
        lead(order_date) over (
            partition by buyer_id
            order by order_ts, order_id
        ) as next_order_date
    from orders

)

select * from history
