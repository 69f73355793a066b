{#
    Buyers per calendar month and lifecycle state (new, retained, reactivated, lapsing,
    dormant; see int_buyers__monthly_states), covering every buyer with a counted order on or
    before the month's last day. Every state has a row in every month, with 0 buyers if none.
    The repeat purchase rate is a property of the month, repeated on each of its rows: buyers
    with two or more counted orders in the 365 days ending on the month's last day (that day
    and the 364 before it), over buyers with one or more.
#}

with

states as (

    select * from {{ ref('int_buyers__monthly_states') }}

),

state_names as (

    {% for state in ['new', 'retained', 'reactivated', 'lapsing', 'dormant'] %}
        select
            '{{ state }}' as state,
            {{ loop.index }} as state_order
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

months as (

    select distinct
        month_start,
        month_end
    from states

),

per_state as (

    select
        month_start,
        lifecycle_state,
        count(*) as buyers,
        sum(gmv) as gmv
    from states
    group by 1, 2

),

trailing_orders as (

    select
        months.month_start,
        orders.buyer_id,
        count(*) as orders
    from months
    inner join {{ ref('int_orders__counted') }} as orders
        on
            months.month_end >= orders.order_date
            and cast({{ dbt.dateadd('day', -365, 'months.month_end') }} as date) < orders.order_date
    group by 1, 2

),

repeat_rates as (

    select
        month_start,
        sum(case when orders >= 2 then 1 else 0 end) as repeat_buyers_365d,
        count(*) as active_buyers_365d
    from trailing_orders
    group by 1

),

final as (

    select
        months.month_start as month,
        state_names.state,
        state_names.state_order,
        coalesce(per_state.buyers, 0) as buyers,
        coalesce(per_state.gmv, 0) as gmv,
        coalesce(repeat_rates.repeat_buyers_365d, 0) as repeat_buyers_365d,
        coalesce(repeat_rates.active_buyers_365d, 0) as active_buyers_365d,
        {{ safe_divide('repeat_rates.repeat_buyers_365d', 'repeat_rates.active_buyers_365d') }}
            as repeat_purchase_rate
    from months
    cross join state_names
    left join per_state
        on
            months.month_start = per_state.month_start
            and state_names.state = per_state.lifecycle_state
    left join repeat_rates
        on months.month_start = repeat_rates.month_start

)

select * from final
