-- One row per order business date and content item with attributed order lines
-- (7-day last touch, see lb_work.attributed_lines in _shared.sql).
select
    order_date as date,
    content_id,
    any_value(creator_id) as creator_id,
    any_value(content_platform) as platform,
    count(distinct order_id) as attributed_orders,
    sum(line_amount) as attributed_gmv,
    count(distinct buyer_id) as attributed_buyers
from lb_work.attributed_lines
group by order_date, content_id
