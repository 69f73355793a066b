-- The overview's daily GMV, net sales and orders equal the sum of the day's terminal groups in
-- kpi_sales_daily: two marts, one set of counted orders.
-- Dagster shows this test as a check of kpi_overview_daily (it reads more than one model).
{{ config(meta={'dagster': {'ref': {'name': 'kpi_overview_daily'}}}) }}

with

sales as (

    select
        date,
        sum(gmv) as gmv,
        sum(net_sales) as net_sales,
        sum(orders) as orders
    from {{ ref('kpi_sales_daily') }}
    group by 1

)

select
    overview.date,
    overview.gmv,
    sales.gmv as sales_gmv,
    overview.orders,
    sales.orders as sales_orders
from {{ ref('kpi_overview_daily') }} as overview
left join sales
    on overview.date = sales.date
where
    abs(overview.gmv - coalesce(sales.gmv, 0)) > 0.005
    or abs(overview.net_sales - coalesce(sales.net_sales, 0)) > 0.005
    or overview.orders != coalesce(sales.orders, 0)
