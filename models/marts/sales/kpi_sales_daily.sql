{#
    Sales per business date and terminal group (wireless, pc, offline) over counted orders.
    Rows exist for each date and group with at least one counted order.
#}

with

orders as (

    select * from {{ ref('int_orders__counted') }}

),

daily as (

    select
        order_date,
        terminal_group,
        sum(order_amount) as gmv,
        sum(net_amount) as net_sales,
        count(*) as orders,
        count(distinct buyer_id) as buyers
    from orders
    group by 1, 2

),

with_day_total as (

    select
        *,
        sum(gmv) over (partition by order_date) as day_gmv
    from daily

),

final as (

    select
        order_date as date,
        terminal_group,
        gmv,
        net_sales,
        orders,
        buyers,
        day_gmv,
        {{ safe_divide('gmv', 'day_gmv') }} as gmv_share,
        {{ safe_divide('gmv', 'orders') }} as aov,
        {{ safe_divide('gmv', 'buyers') }} as gmv_per_buyer
    from with_day_total

)

select * from final
