-- Each month, the five lifecycle states partition the buyers whose first counted order is on
-- or before the month's end, and the three active states are exactly the month's buyers in
-- kpi_customer_channels_monthly.
-- Dagster shows this test as a check of kpi_customer_lifecycle_monthly (it reads more than one model).
{{ config(meta={'dagster': {'ref': {'name': 'kpi_customer_lifecycle_monthly'}}}) }}

with

states as (

    select
        month,
        sum(buyers) as buyers,
        sum(case when state in ('new', 'retained', 'reactivated') then buyers else 0 end)
            as active_buyers
    from {{ ref('kpi_customer_lifecycle_monthly') }}
    group by 1

),

ever_bought as (

    select
        states.month,
        count(buyers.buyer_id) as buyers
    from states
    left join {{ ref('dim_buyers') }} as buyers
        on
            buyers.first_order_date
            < cast({{ dbt.dateadd('month', 1, 'states.month') }} as date)
    group by 1

)

select
    states.month,
    states.buyers,
    ever_bought.buyers as buyers_so_far,
    states.active_buyers,
    channels.buyers as channel_buyers
from states
inner join ever_bought
    on states.month = ever_bought.month
left join {{ ref('kpi_customer_channels_monthly') }} as channels
    on states.month = channels.month
where
    states.buyers != ever_bought.buyers
    or states.active_buyers != coalesce(channels.buyers, 0)
