-- One row per period (ISO week starting Monday, calendar month, calendar year) with content
-- events: distinct people over the whole period, its previous period and the same period a
-- year earlier (same ISO week number of the previous ISO year; else the same period's start
-- one year earlier).
with tagged as (
    select
        person_id,
        event_type,
        event_date,
        date_trunc('week', event_date) as week_start,
        date_trunc('month', event_date) as month_start,
        date_trunc('year', event_date) as year_start
    from lb_work.events
    where event_type in ('view', 'product_click')
),

periods as (
    select
        'week' as period_type,
        cast(week_start as date) as period_start,
        count(distinct person_id) filter (where event_type = 'view') as content_uv,
        count(distinct person_id) filter (where event_type = 'product_click')
            as content_product_uv
    from tagged
    group by week_start
    union all
    select
        'month',
        cast(month_start as date),
        count(distinct person_id) filter (where event_type = 'view'),
        count(distinct person_id) filter (where event_type = 'product_click')
    from tagged
    group by month_start
    union all
    select
        'year',
        cast(year_start as date),
        count(distinct person_id) filter (where event_type = 'view'),
        count(distinct person_id) filter (where event_type = 'product_click')
    from tagged
    group by year_start
),

keyed as (
    select
        *,
        case
            when period_type = 'week' then period_start - interval 7 day
            when period_type = 'month' then period_start - interval 1 month
            else period_start - interval 1 year
        end as prev_start,
        -- ISO week: (iso year, week number); the same week a year earlier has the same number
        case when period_type = 'week' then isoyear(period_start) end as iso_year,
        case when period_type = 'week' then weekofyear(period_start) end as iso_week
    from periods
)

select
    p.period_type,
    p.period_start,
    p.content_uv,
    p.content_product_uv,
    prev.content_uv as prev_content_uv,
    p.content_uv / prev.content_uv - 1 as uv_growth,
    yoy.content_uv as yoy_content_uv,
    p.content_uv / yoy.content_uv - 1 as yoy_uv_growth,
    prev.content_product_uv as prev_content_product_uv,
    p.content_product_uv / prev.content_product_uv - 1 as product_uv_growth,
    yoy.content_product_uv as yoy_content_product_uv,
    p.content_product_uv / yoy.content_product_uv - 1 as yoy_product_uv_growth
from keyed as p
left join keyed as prev
    on prev.period_type = p.period_type and prev.period_start = p.prev_start
left join keyed as yoy
    on
        yoy.period_type = p.period_type
        and (
            (p.period_type = 'week' and yoy.iso_year = p.iso_year - 1 and yoy.iso_week = p.iso_week)
            or (p.period_type <> 'week' and yoy.period_start = p.period_start - interval 1 year)
        )
