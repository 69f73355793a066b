-- One row per event business date, platform where the event happened, and content type.
select
    event_date as date,
    platform,
    content_type,
    count(distinct person_id) filter (where event_type = 'view') as content_uv,
    count(*) filter (where event_type = 'view') as views,
    count(distinct person_id) filter (where event_type = 'product_click') as product_clickers,
    product_clickers / nullif(content_uv, 0) as click_through_rate,
    sum(dwell_seconds) filter (where event_type = 'view') as dwell_seconds,
    avg(dwell_seconds) filter (where event_type = 'view') as avg_dwell_seconds
from lb_work.events
group by all
