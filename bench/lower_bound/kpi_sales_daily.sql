-- One row per business date and terminal group (wireless, pc, offline) with counted orders.
with daily as (
    select
        order_date as date,
        terminal_group,
        sum(order_amount) as gmv,
        sum(case when refunded then 0 else order_amount end) as net_sales,
        count(*) as orders,
        count(distinct buyer_id) as buyers
    from lb_work.orders
    group by all
)
select
    date,
    terminal_group,
    gmv,
    net_sales,
    orders,
    buyers,
    sum(gmv) over (partition by date) as day_gmv,
    gmv / nullif(sum(gmv) over (partition by date), 0) as gmv_share,
    gmv / orders as aov,
    gmv / buyers as gmv_per_buyer
from daily
