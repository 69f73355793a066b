{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='order_date',
        on_schema_change='fail'
    )
}}

{#
    Every line of a counted order, with the content it is attributed to (7-day last touch):
    the latest product_click on the line's sku by a person resolving to the order's buyer, at
    most 7 days (168 hours) before the order and not after it. Clicks at the same instant go to
    the larger event_id. Lines without such a click keep null attribution columns.
#}

with

orders as (

    select * from {{ ref('int_orders__counted') }}
    where {{ incremental_window('order_date') }}

),

items as (

    select * from {{ ref('stg_sales__order_items') }}

),

clicks as (

    select * from {{ ref('int_content_events__resolved') }}
    where event_type = 'product_click'

),

lines as (

    select
        orders.order_id,
        items.line_no,
        orders.order_date,
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
        touches.event_id is not null as is_attributed
    from lines
    left join touches
        on
            lines.order_id = touches.order_id
            and lines.line_no = touches.line_no
            and touches.touch_rank = 1

)

select * from attributed
