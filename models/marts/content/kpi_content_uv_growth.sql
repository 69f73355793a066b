{{
    config(
        materialized='incremental',
        on_schema_change='fail',
        **incremental_by_day(['period_type', 'period_start'])
    )
}}

{#
    Content reach per calendar period: distinct persons over the whole period (not a sum of
    days), with growth against the previous period and against the same period a year earlier.
    Periods: `week` (Monday start; a year earlier = the same ISO week number of the previous
    ISO year), `month` (the same month a year earlier) and `year` (growth and year-on-year
    coincide). `is_complete` is false for a period the loaded data covers only in part; growth
    against a partial period is shown but should be read with care.

    Incremental: a run recounts only the periods holding a day int_content_events__resolved
    rewrote since this table's last build (a week, a month and a year for a one-day run) and
    takes the other periods' counts from the table itself; comparisons and `is_complete` are
    then worked out again for every period (the table is small), and every row is rewritten.
#}

{#- period type: (start column in the calendar, unit and length of one period) -#}
{% set period_types = {
    'week': ('week_start', 'day', 7),
    'month': ('month_start', 'month', 1),
    'year': ('year_start', 'year', 1),
} %}

with

calendar as (

    select * from {{ ref('int_calendar__days') }}

),

{% if is_incremental() %}
    rebuilt_days as (

        {{ days_rebuilt_upstream(ref('int_content_events__resolved'), 'event_date') }}

    ),

    recounted as (

        {% for period_type, (start_column, _, _) in period_types.items() %}
            select distinct
                '{{ period_type }}' as period_type,
                calendar.{{ start_column }} as period_start
            from rebuilt_days
            inner join calendar
                on rebuilt_days.event_date = calendar.date_day
            {% if not loop.last %}union all{% endif %}
        {% endfor %}

    ),
{% endif %}

events as (

    select
        event_date,
        event_type,
        person_id
    from {{ ref('int_content_events__resolved') }}
    where event_type in ('view', 'product_click')

),

coverage as (

    select
        min(event_date) as first_date,
        max(event_date) as last_date
    from events

),

tagged as (

    select
        events.person_id,
        events.event_type,
        events.event_date,
        calendar.week_start,
        calendar.month_start,
        calendar.year_start
    from events
    inner join calendar
        on events.event_date = calendar.date_day
    {% if is_incremental() %}
        -- every recounted period lies inside a recounted year
        where calendar.year_start in (
                select recounted.period_start from recounted
                where recounted.period_type = 'year'
            )
    {% endif %}

),


counted as (

    {% for period_type, (start_column, unit, length) in period_types.items() %}
        select
            '{{ period_type }}' as period_type,
            {{ start_column }} as period_start,
            count(distinct case when event_type = 'view' then person_id end) as content_uv,
            count(distinct case when event_type = 'product_click' then person_id end)
                as content_product_uv,
            count(distinct event_date) as days_with_events
        from tagged
        {% if is_incremental() %}
            where {{ start_column }} in (
                    select recounted.period_start from recounted
                    where recounted.period_type = '{{ period_type }}'
                )
        {% endif %}
        group by {{ start_column }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

    {% if is_incremental() %}
        union all
        select
            built.period_type,
            built.period_start,
            built.content_uv,
            built.content_product_uv,
            built.days_with_events
        from {{ this }} as built
        where not exists (
                select 1 from recounted
                where
                    recounted.period_type = built.period_type
                    and recounted.period_start = built.period_start
            )
    {% endif %}

),

periods as (

    {% for period_type, (start_column, unit, length) in period_types.items() %}
        select
            counted.*,
            cast(
                {{ dbt.dateadd('day', -1, dbt.dateadd(unit, length, 'counted.period_start')) }}
                as date
            ) as period_end,
            cast({{ dbt.dateadd(unit, -length, 'counted.period_start') }} as date)
                as prev_period_start,
            cast({{ dbt.dateadd('year', -1, 'counted.period_start') }} as date)
                as year_earlier_start
        from counted
        where counted.period_type = '{{ period_type }}'
        {% if not loop.last %}union all{% endif %}
    {% endfor %}

),

bounds as (

    select
        periods.*,
        calendar.iso_year,
        calendar.iso_week
    from periods
    inner join calendar
        on periods.period_start = calendar.date_day

),

compared as (

    -- A week's year-earlier partner has the same ISO week number in the previous ISO year
    -- (ISO years have 52 or 53 weeks, so it is not simply 364 days back); a month's or a
    -- year's starts one calendar year earlier.
    select
        cur.period_type,
        cur.period_start,
        cur.period_end,
        cur.period_start >= coverage.first_date
        and cur.period_end <= coverage.last_date as is_complete,
        cur.days_with_events,
        cur.content_uv,
        prev.content_uv as prev_content_uv,
        yoy.content_uv as yoy_content_uv,
        cur.content_product_uv,
        prev.content_product_uv as prev_content_product_uv,
        yoy.content_product_uv as yoy_content_product_uv
    from bounds as cur
    cross join coverage
    left join bounds as prev
        on
            cur.period_type = prev.period_type
            and cur.prev_period_start = prev.period_start
    left join bounds as yoy
        on
            cur.period_type = yoy.period_type
            and (
                (
                    cur.period_type = 'week'
                    and cur.iso_year - 1 = yoy.iso_year
                    and cur.iso_week = yoy.iso_week
                )
                or (
                    cur.period_type != 'week'
                    and cur.year_earlier_start = yoy.period_start
                )
            )

),

final as (

    select
        period_type,
        period_start,
        period_end,
        is_complete,
        days_with_events,
        content_uv,
        prev_content_uv,
        {{ safe_divide('content_uv', 'prev_content_uv') }} - 1 as uv_growth,
        yoy_content_uv,
        {{ safe_divide('content_uv', 'yoy_content_uv') }} - 1 as yoy_uv_growth,
        content_product_uv,
        prev_content_product_uv,
        {{ safe_divide('content_product_uv', 'prev_content_product_uv') }} - 1
            as product_uv_growth,
        yoy_content_product_uv,
        {{ safe_divide('content_product_uv', 'yoy_content_product_uv') }} - 1
            as yoy_product_uv_growth,
        {{ run_timestamp() }} as built_at
    from compared

)

select * from final
