-- Every attributed line points at a product click on the line's own sku, by a person resolving
-- to the order's buyer, in the 7 days up to the order.
-- Dagster shows this test as a check of int_order_lines__attributed (it reads more than one model).
{{ config(meta={'dagster': {'ref': {'name': 'int_order_lines__attributed'}}}) }}

select
    lines.order_id,
    lines.line_no,
    lines.attributed_event_id
from {{ ref('int_order_lines__attributed') }} as lines
left join {{ ref('int_content_events__resolved') }} as clicks
    on lines.attributed_event_id = clicks.event_id
where
    lines.is_attributed
    and (
        clicks.event_id is null
        or clicks.event_type != 'product_click'
        or clicks.sku_id != lines.sku_id
        or clicks.person_id != lines.buyer_id
        or clicks.event_ts > lines.order_ts
        or clicks.event_ts < {{ dbt.dateadd('day', -7, 'lines.order_ts') }}
    )
