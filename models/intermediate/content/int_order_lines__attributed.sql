{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        meta={'test_window_built_at': true},
        **incremental_by_group('order_date', 'buyer_bucket')
    )
}}

-- depends_on: {{ ref('int_calendar__days') }}

{#
    Every line of a counted order, with the content it is attributed to (7-day last touch):
    the latest product_click on the line's sku by a person resolving to the order's buyer, at
    most 7 days (168 hours) before the order and not after it. Clicks at the same instant go to
    the larger event_id. Lines without such a click keep null attribution columns.

    Incremental by (order_date, buyer_bucket), the bucket being a hash of the buyer
    (macros/cross_db/incremental_by_group.sql): the look-back days whole, plus, for every
    product click int_content_events__resolved rewrote since this model's last build, the
    groups of the 8 days from the click's day of the buyers it may now credit or may have
    credited before. A click re-resolved to another person can move the credit of that
    person's orders in its 7 days, and of the orders it credited until then; nobody else's.
#}

with

{% if is_incremental() %}
    reclicks as (

        select
            clicks.event_id,
            clicks.event_date,
            clicks.person_id
        from {{ ref('int_content_events__resolved') }} as clicks
        where
            clicks.event_type = 'product_click'
            and clicks.built_at > (select max(built.built_at) from {{ this }} as built)

    ),

    reclicked_buyers as (

        -- whom a rewritten click may credit now
        select
            reclicks.event_date,
            reclicks.person_id as buyer_id
        from reclicks

        union

        -- whom it credited until now
        select
            reclicks.event_date,
            credited.buyer_id
        from {{ this }} as credited
        inner join reclicks
            on credited.attributed_event_id = reclicks.event_id

    ),

    reclicked_groups as (

        select distinct
            calendar.date_day as order_date,
            {{ hash_bucket('reclicked_buyers.buyer_id') }} as buyer_bucket
        from reclicked_buyers
        inner join {{ ref('int_calendar__days') }} as calendar
            on
                reclicked_buyers.event_date <= calendar.date_day
                and {{ dbt.dateadd('day', 8, 'reclicked_buyers.event_date') }} >= calendar.date_day

    ),
{% endif %}

counted as (

    select
        *,
        {{ hash_bucket('buyer_id') }} as buyer_bucket
    from {{ ref('int_orders__counted') }}

),

orders as (

    select * from counted
    where
        {{ incremental_window('order_date') }}
        {% if is_incremental() %}
            or {{ in_groups('order_date', 'buyer_bucket', 'reclicked_groups') }}
        {% endif %}

),

items as (

    select * from {{ ref('stg_sales__order_items') }}

),

{% if is_incremental() %}
    click_days as (

        -- A click counts for orders in the 7 days after it, so an order day being rebuilt
        -- needs the clicks of its own day and the 8 business days before it (a day of slack
        -- for the business date's offset). Reading every click from the earliest rebuilt day
        -- on made a run grow with history: a re-identified click a year old reopens its day.
        select distinct calendar.date_day as event_date
        from (select distinct orders.order_date from orders) as order_days
        inner join {{ ref('int_calendar__days') }} as calendar
            on
                order_days.order_date >= calendar.date_day
                and order_days.order_date <= {{ dbt.dateadd('day', 8, 'calendar.date_day') }}

    ),
{% endif %}

clicks as (

    select * from {{ ref('int_content_events__resolved') }}
    where
        event_type = 'product_click'
        {% if is_incremental() %}
            and event_date in (select click_days.event_date from click_days)
            and person_id in (select orders.buyer_id from orders)
        {% endif %}

),

lines as (

    select
        orders.order_id,
        items.line_no,
        orders.order_date,
        orders.buyer_bucket,
        orders.order_ts,
        orders.buyer_id,
        orders.brand_id,
        orders.terminal_group,
        items.sku_id,
        items.quantity,
        items.unit_price,
        items.line_amount
    from orders
    inner join items
        on orders.order_id = items.order_id

),

touches as (

    select
        lines.order_id,
        lines.line_no,
        clicks.event_id,
        clicks.event_ts,
        clicks.content_id,
        clicks.creator_id,
        clicks.content_platform,
        row_number() over (
            partition by lines.order_id, lines.line_no
            order by clicks.event_ts desc, clicks.event_id desc
        ) as touch_rank
    from lines
    inner join clicks
        on
            lines.buyer_id = clicks.person_id
            and lines.sku_id = clicks.sku_id
            and lines.order_ts >= clicks.event_ts
            and {{ dbt.dateadd('day', -7, 'lines.order_ts') }} <= clicks.event_ts

),

attributed as (

    select
        lines.order_id,
        lines.line_no,
        lines.order_date,
        lines.buyer_bucket,
        lines.order_ts,
        lines.buyer_id,
        lines.brand_id,
        lines.terminal_group,
        lines.sku_id,
        lines.quantity,
        lines.unit_price,
        lines.line_amount,
        touches.event_id as attributed_event_id,
        touches.event_ts as attributed_click_ts,
        touches.content_id as attributed_content_id,
        touches.creator_id as attributed_creator_id,
        touches.content_platform as attributed_content_platform,
        touches.event_id is not null as is_attributed,
        {{ run_timestamp() }} as built_at
    from lines
    left join touches
        on
            lines.order_id = touches.order_id
            and lines.line_no = touches.line_no
            and touches.touch_rank = 1

)

select * from attributed
