{{
    config(
        on_schema_change='fail',
        meta={'test_window_built_at': true},
        **incremental_by_buyer_month('int_orders__counted')
    )
}}

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

{#
    Incremental (macros/cross_db/incremental_by_buyer_month.sql): a run compares what every
    buyer bought per month (the only thing a state depends on) with the stored rows, rewrites
    the whole history of the buyers whose months differ (a new order, a changed, moved or
    withdrawn one), extends everyone else by the months that began since, carrying their last
    order forward, and deletes the rows no buyer history holds any more. Rebuilt whole, the
    table (one row per buyer and month: 6.7 million at two years of scale 1) was rewritten on
    every run to change a few thousand buyers.
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

{% if is_incremental() %}
    changed_buyers as (

        -- Buyers with a month whose orders differ from the stored row (or that has no stored
        -- row, or only a stored one): their whole history is rewritten.
        select distinct coalesce(now_bought.buyer_id, stored.buyer_id) as buyer_id
        from buyer_months as now_bought
        full outer join (
            select * from {{ this }}
            where orders > 0
        ) as stored
            on
                now_bought.buyer_id = stored.buyer_id
                and now_bought.month_start = stored.month_start
        where
            now_bought.buyer_id is null
            or stored.buyer_id is null
            or now_bought.orders != stored.orders
            or now_bought.gmv != stored.gmv
            or now_bought.online_orders != stored.online_orders
            or now_bought.online_gmv != stored.online_gmv
            or now_bought.last_order_date_in_month != stored.last_order_date

    ),

    carried as (

        -- Everyone else in the months that began since the last build: no orders, the last
        -- one carried forward from their newest stored month. with_history appends these rows
        -- to the grid's by position, so the columns follow the grid's order.
        select
            newest.buyer_id,
            -- unknown here and not needed: a carried month is never the first
            cast(null as date) as first_month_start,
            months.month_start,
            cast(
                {{ dbt.dateadd('day', -1, dbt.dateadd('month', 1, 'months.month_start')) }} as date
            ) as month_end,
            0 as orders,
            0 as gmv,
            0 as online_orders,
            0 as offline_orders,
            0 as online_gmv,
            0 as offline_gmv,
            cast(null as date) as last_order_date_in_month,
            newest.last_order_date as previous_order_date,
            newest.last_order_date
        from {{ this }} as newest
        inner join months
            on newest.month_start < months.month_start
        where
            newest.month_start = (select max(built.month_start) from {{ this }} as built)
            and newest.buyer_id not in (select changed_buyers.buyer_id from changed_buyers)

    ),
{% endif %}

first_months as (

    select
        buyer_id,
        min(month_start) as first_month_start
    from buyer_months
    {% if is_incremental() %}
        where buyer_id in (select changed_buyers.buyer_id from changed_buyers)
    {% endif %}
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

    {% if is_incremental() %}
        union all
        select * from carried
    {% endif %}

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
        end as lifecycle_state,
        {{ run_timestamp() }} as built_at
    from with_history

)

select * from states
