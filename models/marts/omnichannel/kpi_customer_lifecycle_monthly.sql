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

{#
    Repeat purchase, counted without pairing each month with every order of its 365 days
    (about twelve rows per order, grouped by month and buyer: that cost grew with history).
    On a month's last day E, the buyer's latest order on or before E decides both counts: the
    buyer is active if that order is dated E-364 or later, and a repeat buyer if the order
    before it is too. An order is its buyer's latest from its own date until the next order's,
    so it counts on the month ends of a span of dates [order_date, until), and each count is a
    running sum of +1 where spans begin and -1 where they end. A month's end falls in
    [order_date, until) exactly when month_start is at or after the month of order_date and
    before the month of until.
#}
order_years as (

    -- the first day on which an order is no longer within 365 days (that day and the 364
    -- before it)
    select
        order_date,
        next_order_date,
        cast({{ dbt.dateadd('day', 365, 'order_date') }} as date) as order_expires,
        cast({{ dbt.dateadd('day', 365, 'previous_order_date') }} as date) as previous_expires
    from {{ ref('int_buyers__order_history') }}

),

order_spans as (

    -- the dates [order_date, until) on which the order is its buyer's latest and makes
    -- them active, or a repeat buyer; repeat_until is null for a first order
    select
        order_date,
        case
            when next_order_date < order_expires then next_order_date
            else order_expires
        end as active_until,
        case
            when next_order_date < previous_expires then next_order_date
            else previous_expires
        end as repeat_until
    from order_years

),

span_changes as (

    select
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,
        1 as active_change,
        0 as repeat_change
    from order_spans
    where active_until > order_date

    union all

    select
        cast({{ dbt.date_trunc('month', 'active_until') }} as date) as month_start,
        -1 as active_change,
        0 as repeat_change
    from order_spans
    where active_until > order_date

    union all

    select
        cast({{ dbt.date_trunc('month', 'order_date') }} as date) as month_start,
        0 as active_change,
        1 as repeat_change
    from order_spans
    where repeat_until > order_date

    union all

    select
        cast({{ dbt.date_trunc('month', 'repeat_until') }} as date) as month_start,
        0 as active_change,
        -1 as repeat_change
    from order_spans
    where repeat_until > order_date

),

monthly_changes as (

    select
        month_start,
        sum(active_change) as active_change,
        sum(repeat_change) as repeat_change
    from span_changes
    group by 1

),

repeat_rates as (

    select
        months.month_start,
        sum(monthly_changes.repeat_change) as repeat_buyers_365d,
        sum(monthly_changes.active_change) as active_buyers_365d
    from months
    inner join monthly_changes
        on months.month_start >= monthly_changes.month_start
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
