-- The omnichannel mart's online orders and store-till GMV match kpi_sales_daily's terminal
-- groups (wireless + pc, and offline) on every date.
-- Dagster shows this test as a check of kpi_omnichannel_daily (it reads more than one model).
{{ config(meta={'dagster': {'ref': {'name': 'kpi_omnichannel_daily'}}}) }}

with

sales as (

    select
        date,
        sum(case when terminal_group in ('wireless', 'pc') then orders else 0 end)
            as online_orders,
        sum(case when terminal_group = 'offline' then gmv else 0 end) as offline_gmv
    from {{ ref('kpi_sales_daily') }}
    group by 1

)

select
    omni.date,
    omni.online_orders,
    sales.online_orders as sales_online_orders,
    omni.offline_gmv,
    sales.offline_gmv as sales_offline_gmv
from {{ ref('kpi_omnichannel_daily') }} as omni
left join sales
    on omni.date = sales.date
where
    omni.online_orders != coalesce(sales.online_orders, -1)
    or abs(omni.offline_gmv - coalesce(sales.offline_gmv, -1)) > 0.005
