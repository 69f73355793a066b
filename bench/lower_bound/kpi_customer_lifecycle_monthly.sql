-- One row per month and lifecycle state, for every buyer with a counted order on or before the
-- month's end: new, retained, reactivated (ordered this month), lapsing, dormant (did not).
-- The 180-day windows are inclusive; repeat purchase counts the 365 days ending on the
-- month's last day.
with months as (
    select
        cast(m as date) as month,
        cast(m + interval 1 month - interval 1 day as date) as month_end
    from range(
        (select date_trunc('month', min(order_date)) from lb_work.orders),
        (select max(order_date) from lb_work.orders) + interval 1 day,
        interval 1 month
    ) as t(m)
),

buyer_orders as (
    select buyer_id, order_date, order_amount from lb_work.orders
),

firsts as (
    select buyer_id, min(order_date) as first_order_date from buyer_orders group by 1
),

grid as (
    -- every buyer in every month from their first order's month
    select f.buyer_id, m.month, m.month_end, f.first_order_date
    from firsts as f
    inner join months as m on f.first_order_date <= m.month_end
),

facts as (
    select
        g.buyer_id,
        g.month,
        g.month_end,
        g.first_order_date,
        count(*) filter (where o.order_date >= g.month) as month_orders,
        coalesce(sum(o.order_amount) filter (where o.order_date >= g.month), 0) as month_gmv,
        max(o.order_date) filter (where o.order_date < g.month) as previous_order_date,
        max(o.order_date) as last_order_date,
        count(*) filter (where o.order_date > g.month_end - interval 365 day) as orders_365d
    from grid as g
    inner join buyer_orders as o
        on o.buyer_id = g.buyer_id and o.order_date <= g.month_end
    group by all
),

states as (
    select
        *,
        case
            when month_orders > 0 and first_order_date >= month then 'new'
            when month_orders > 0 and previous_order_date >= month - interval 180 day
                then 'retained'
            when month_orders > 0 then 'reactivated'
            when last_order_date >= month_end - interval 180 day then 'lapsing'
            else 'dormant'
        end as state
    from facts
),

repeat_rate as (
    select
        month,
        count(*) filter (where orders_365d >= 2) as repeat_buyers_365d,
        count(*) filter (where orders_365d >= 1) as active_buyers_365d
    from states
    group by month
),

per_state as (
    select month, state, count(*) as buyers, sum(month_gmv) as gmv
    from states
    group by month, state
)

-- Every state in every month, with zero buyers where nobody is in it.
select
    r.month,
    st.state,
    coalesce(p.buyers, 0) as buyers,
    coalesce(p.gmv, 0) as gmv,
    r.repeat_buyers_365d,
    r.active_buyers_365d,
    r.repeat_buyers_365d / r.active_buyers_365d as repeat_purchase_rate
from repeat_rate as r
cross join (
    values ('new'), ('retained'), ('reactivated'), ('lapsing'), ('dormant')
) as st(state)
left join per_state as p on p.month = r.month and p.state = st.state
