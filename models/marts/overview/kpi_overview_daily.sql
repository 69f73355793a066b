{#
    The executive page, one row per business date from the first to the last date with counted
    orders or sessions. Visitors are distinct visitor_ids with a session that day; converting
    visitors had a session that day which a counted order names (both by the session's date).
    Visitors and content reach come pre-counted per day (int_sessions__daily_traffic,
    int_content_events__daily_reach), so the rebuild reads a row per day, not every session.
#}

with

orders as (

    select * from {{ ref('int_orders__counted') }}

),

traffic as (

    select * from {{ ref('int_sessions__daily_traffic') }}

),

reach as (

    select * from {{ ref('int_content_events__daily_reach') }}

),

calendar as (

    select * from {{ ref('dim_date') }}

),

sales as (

    select
        order_date,
        sum(order_amount) as gmv,
        sum(net_amount) as net_sales,
        count(*) as orders,
        count(distinct buyer_id) as buyers,
        sum(case when is_online then order_amount else 0 end) as online_gmv,
        sum(case when terminal_group = 'wireless' then order_amount else 0 end) as wireless_gmv
    from orders
    group by 1

),

coverage as (

    select
        min(first_date) as first_date,
        max(last_date) as last_date
    from (
        select
            min(order_date) as first_date,
            max(order_date) as last_date
        from sales
        union all
        select
            min(session_date) as first_date,
            max(session_date) as last_date
        from traffic
    ) as sources

),

final as (

    select
        calendar.date,
        coalesce(sales.gmv, 0) as gmv,
        coalesce(sales.net_sales, 0) as net_sales,
        coalesce(sales.orders, 0) as orders,
        coalesce(sales.buyers, 0) as buyers,
        {{ safe_divide('sales.gmv', 'sales.orders') }} as aov,
        {{ safe_divide('sales.gmv', 'sales.buyers') }} as gmv_per_buyer,
        coalesce(traffic.visitors, 0) as visitors,
        coalesce(traffic.converting_visitors, 0) as converting_visitors,
        {{ safe_divide('traffic.converting_visitors', 'traffic.visitors') }} as conversion_rate,
        coalesce(sales.online_gmv, 0) as online_gmv,
        coalesce(sales.wireless_gmv, 0) as wireless_gmv,
        {{ safe_divide('sales.wireless_gmv', 'sales.online_gmv') }} as mobile_gmv_share,
        coalesce(reach.content_uv, 0) as content_uv,
        calendar.festival_code,
        calendar.festival_name as festival
    from calendar
    cross join coverage
    left join sales
        on calendar.date = sales.order_date
    left join traffic
        on calendar.date = traffic.session_date
    left join reach
        on calendar.date = reach.event_date
    where calendar.date between coverage.first_date and coverage.last_date

)

select * from final
