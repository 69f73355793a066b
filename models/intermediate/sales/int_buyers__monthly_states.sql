{#
    Every buyer in every month from the month of their first counted order to the last month
    with orders, with their lifecycle state at that month:
      new          first ever counted order in this month
      retained     ordered this month and also in the 180 days before the month started
      reactivated  ordered this month; the order before is more than 180 days before the month
      lapsing      no order this month; last order at most 180 days before the month's last day
      dormant      no order this month; last order more than 180 days before the month's last day
    Days are business dates; "within 180 days" is inclusive (an order exactly 180 days before
    the month's first day still makes a buyer retained).
#}

with

orders as (

    select * from {{ ref('int_orders__counted') }}

),

order_span as (

    select
        cast({{ dbt.date_trunc('month', 'min(order_date)') }} as date) as first_month_start,
        max(order_date) as last_order_date
    from orders

),

months as (

    select distinct calendar.month_start
    from {{ ref('int_calendar__days') }} as calendar
    inner join order_span
        on
            calendar.month_start >= order_span.first_month_start
            and calendar.month_start <= order_span.last_order_date

),

buyer_months as (

    -- What each buyer did in the months they ordered in.
    select
        buyer_id,
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,
        count(*) as orders,
        sum(order_amount) as gmv,
        sum(case when is_online then 1 else 0 end) as online_orders,
        sum(case when is_online then 0 else 1 end) as offline_orders,
        sum(case when is_online then order_amount else 0 end) as online_gmv,
        sum(case when is_online then 0 else order_amount end) as offline_gmv,
        max(order_date) as last_order_date_in_month
    from orders
    group by 1, 2

),

first_months as (

    select
        buyer_id,
        min(month_start) as first_month_start
    from buyer_months
    group by 1

),

grid as (

    -- One row per buyer and month since their first order (inactive months included).
    select
        first_months.buyer_id,
        first_months.first_month_start,
        months.month_start,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'months.month_start')) }} as date
        ) as month_end,
        coalesce(buyer_months.orders, 0) as orders,
        coalesce(buyer_months.gmv, 0) as gmv,
        coalesce(buyer_months.online_orders, 0) as online_orders,
        coalesce(buyer_months.offline_orders, 0) as offline_orders,
        coalesce(buyer_months.online_gmv, 0) as online_gmv,
        coalesce(buyer_months.offline_gmv, 0) as offline_gmv,
        buyer_months.last_order_date_in_month
    from first_months
    inner join months
        on first_months.first_month_start <= months.month_start
    left join buyer_months
        on
            first_months.buyer_id = buyer_months.buyer_id
            and months.month_start = buyer_months.month_start

),

with_history as (

    select
        *,
        -- max() ignores the nulls of inactive months, so these carry the last order forward.
        max(last_order_date_in_month) over (
            partition by buyer_id
            order by month_start
            rows between unbounded preceding and 1 preceding
        ) as previous_order_date,
        max(last_order_date_in_month) over (
            partition by buyer_id
            order by month_start
            rows between unbounded preceding and current row
        ) as last_order_date
    from grid

),

states as (

    select
        buyer_id,
        month_start,
        month_end,
        orders,
        gmv,
        online_orders,
        offline_orders,
        online_gmv,
        offline_gmv,
        previous_order_date,
        last_order_date,
        case
            when orders > 0 and month_start = first_month_start then 'new'
            when
                orders > 0
                and previous_order_date >= cast({{ dbt.dateadd('day', -180, 'month_start') }} as date)
                then 'retained'
            when orders > 0 then 'reactivated'
            when last_order_date >= cast({{ dbt.dateadd('day', -180, 'month_end') }} as date)
                then 'lapsing'
            else 'dormant'
        end as lifecycle_state
    from with_history

)

select * from states
