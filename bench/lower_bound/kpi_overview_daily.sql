-- One row per business date with orders or sessions: sales, visitors and their conversion
-- (by session date), the wireless share of online GMV, content UV and the day's festival.
with sales as (
    select
        order_date as date,
        sum(order_amount) as gmv,
        sum(case when refunded then 0 else order_amount end) as net_sales,
        count(*) as orders,
        count(distinct buyer_id) as buyers,
        coalesce(sum(order_amount) filter (where terminal_group = 'wireless'), 0) as wireless_gmv,
        coalesce(sum(order_amount) filter (where online), 0) as online_gmv
    from lb_work.orders
    group by order_date
),

converting as (
    select distinct session_id from lb_work.orders where session_id is not null
),

traffic as (
    select
        s.session_date as date,
        count(distinct s.visitor_id) as visitors,
        count(distinct s.visitor_id) filter (where c.session_id is not null)
            as converting_visitors
    from lb_work.sessions as s
    left join converting as c on s.session_id = c.session_id
    group by s.session_date
),

content as (
    select event_date as date, count(distinct person_id) as content_uv
    from lb_work.events
    where event_type = 'view'
    group by event_date
),

festivals as (
    select date, string_agg(festival_name, ', ' order by festival_name) as festival
    from read_csv('{seeds_dir}/festivals.csv', header = true, all_varchar = true)
    group by date
)

select
    d.date,
    coalesce(sales.gmv, 0) as gmv,
    coalesce(sales.net_sales, 0) as net_sales,
    coalesce(sales.orders, 0) as orders,
    coalesce(sales.buyers, 0) as buyers,
    sales.gmv / nullif(sales.orders, 0) as aov,
    sales.gmv / nullif(sales.buyers, 0) as gmv_per_buyer,
    coalesce(traffic.visitors, 0) as visitors,
    coalesce(traffic.converting_visitors, 0) as converting_visitors,
    traffic.converting_visitors / nullif(traffic.visitors, 0) as conversion_rate,
    sales.wireless_gmv,
    sales.online_gmv,
    sales.wireless_gmv / nullif(sales.online_gmv, 0) as mobile_gmv_share,
    coalesce(content.content_uv, 0) as content_uv,
    festivals.festival
from (
    select date from sales
    union
    select date from traffic
) as d
left join sales on d.date = sales.date
left join traffic on d.date = traffic.date
left join content on d.date = content.date
left join festivals on cast(festivals.date as date) = d.date
