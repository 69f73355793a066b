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

    Weeks and months are counted from their events; years from their active accounts
    (int_content_events__account_years, a third as many rows), resolved through today's links.

    Incremental, by what int_content_events__resolved wrote since this table's last build:
    - A period holding a day of its look-back window (rows without a `previous_person_id`:
      events may have come or gone) is recounted.
    - A period holding only late-link repairs (rows with a `previous_person_id`: the same events,
      some with a new person) keeps its counts, moved by the persons the repair touched: each
      such person counts +1 if present now and not before, -1 the other way. "Before" is each
      repaired event's previous person. Should a repaired row have replaced a row written after
      this table's last build (a run that built the events but failed before this model), its
      previous person is not the one counted here, and its periods are recounted instead.
    - Every other period keeps its counts.
    Comparisons and `is_complete` are then worked out again for every period (the table is
    small), and every row is rewritten.
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
    last_build as (

        select max(built.built_at) as built_at from {{ this }} as built

    ),

    rewritten as (

        -- the rows int_content_events__resolved wrote since this table's last build
        select
            resolved.event_date,
            resolved.event_type,
            resolved.person_id,
            resolved.previous_person_id,
            coalesce(resolved.previous_built_at <= last_build.built_at, false)
                as is_repair_of_counted_row
        from {{ ref('int_content_events__resolved') }} as resolved
        cross join last_build
        where
            last_build.built_at is null
            or resolved.built_at > last_build.built_at

    ),

    rewritten_periods as (

        -- the periods holding a rewritten day; `needs_recount` when one of their days may have
        -- gained or lost events (a window day, or a repair of a row this table never counted)
        {% for period_type, (start_column, _, _) in period_types.items() %}
            select
                '{{ period_type }}' as period_type,
                calendar.{{ start_column }} as period_start,
                max(case when rewritten.is_repair_of_counted_row then 0 else 1 end) = 1
                    as needs_recount
            from rewritten
            inner join calendar
                on rewritten.event_date = calendar.date_day
            group by 1, 2
            {% if not loop.last %}union all{% endif %}
        {% endfor %}

    ),

    recounted as (

        select
            period_type,
            period_start
        from rewritten_periods
        where needs_recount

    ),

    adjusted as (

        -- periods with repairs only
        select
            period_type,
            period_start
        from rewritten_periods
        where not needs_recount

    ),

    moved_persons as (

        -- the persons a repair moved an event from or to (only they can appear or vanish)
        select person_id
        from rewritten
        where is_repair_of_counted_row and person_id != previous_person_id
        union
        select previous_person_id as person_id
        from rewritten
        where is_repair_of_counted_row and person_id != previous_person_id

    ),

    moved_persons_now as (

        -- the views and clicks of the moved persons as they stand
        select
            events.event_date,
            events.event_type,
            events.person_id,
            events.built_at > last_build.built_at as is_rewritten
        from {{ ref('int_content_events__resolved') }} as events
        cross join last_build
        where
            events.event_type in ('view', 'product_click')
            and events.person_id in (select moved_persons.person_id from moved_persons)

    ),

    moved_persons_events as (

        -- each with the moved person it counts for now, or counted for before (null when
        -- not a moved one). A row written before the last build counted for its person; a
        -- rewritten one for its previous person (the second branch): in the adjusted periods
        -- every rewritten row is a repair of a counted row, and the others are not read
        select
            moved_persons_now.event_date,
            moved_persons_now.event_type,
            moved_persons_now.person_id as person_now,
            case
                when not moved_persons_now.is_rewritten
                    then moved_persons_now.person_id
            end as person_before
        from moved_persons_now
        union all
        select
            rewritten.event_date,
            rewritten.event_type,
            cast(null as {{ dbt.type_string() }}) as person_now,
            rewritten.previous_person_id as person_before
        from rewritten
        where
            rewritten.is_repair_of_counted_row
            and rewritten.event_type in ('view', 'product_click')
            and rewritten.previous_person_id in (
                select moved_persons.person_id from moved_persons
            )

    ),

    adjustments as (

        {% for period_type, (start_column, _, _) in period_types.items() %}
            select
                '{{ period_type }}' as period_type,
                calendar.{{ start_column }} as period_start,
                count(distinct case
                    when moved_persons_events.event_type = 'view'
                        then moved_persons_events.person_now
                end)
                - count(distinct case
                    when moved_persons_events.event_type = 'view'
                        then moved_persons_events.person_before
                end) as content_uv_change,
                count(distinct case
                    when moved_persons_events.event_type = 'product_click'
                        then moved_persons_events.person_now
                end)
                - count(distinct case
                    when moved_persons_events.event_type = 'product_click'
                        then moved_persons_events.person_before
                end) as content_product_uv_change
            from moved_persons_events
            inner join calendar
                on moved_persons_events.event_date = calendar.date_day
            where calendar.{{ start_column }} in (
                    select adjusted.period_start from adjusted
                    where adjusted.period_type = '{{ period_type }}'
                )
            group by calendar.{{ start_column }}
            {% if not loop.last %}union all{% endif %}
        {% endfor %}

    ),

    recounted_days as (

        -- the days of the recounted weeks and months
        select calendar.date_day
        from calendar
        where
            calendar.week_start in (
                select recounted.period_start from recounted
                where recounted.period_type = 'week'
            )
            or calendar.month_start in (
                select recounted.period_start from recounted
                where recounted.period_type = 'month'
            )

    ),
{% endif %}

coverage as (

    select
        min(event_date) as first_date,
        max(event_date) as last_date
    from {{ ref('int_content_events__resolved') }}
    where event_type in ('view', 'product_click')

),

tagged as (

    select
        events.person_id,
        events.event_type,
        events.event_date,
        calendar.week_start,
        calendar.month_start
    from {{ ref('int_content_events__resolved') }} as events
    inner join calendar
        on events.event_date = calendar.date_day
    where
        events.event_type in ('view', 'product_click')
        {% if is_incremental() %}
            and events.event_date in (select recounted_days.date_day from recounted_days)
        {% endif %}

),

account_years as (

    -- a year's persons from its active accounts, each resolved through today's links
    select
        account_years.year_start,
        account_years.first_view_on,
        account_years.first_click_on,
        {{ resolved_person('links.buyer_id', 'account_years.platform', 'account_years.platform_user_id') }}
            as person_id
    from {{ ref('int_content_events__account_years') }} as account_years
    left join {{ ref('stg_channel__identity_links') }} as links
        on
            account_years.platform = links.platform
            and account_years.platform_user_id = links.platform_user_id
    {% if is_incremental() %}
        where account_years.year_start in (
                select recounted.period_start from recounted
                where recounted.period_type = 'year'
            )
    {% endif %}

),

fresh_counts as (

    {% for period_type, (start_column, _, _) in period_types.items() if period_type != 'year' %}
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
        union all
    {% endfor %}
    select
        'year' as period_type,
        year_start as period_start,
        count(distinct case when first_view_on is not null then person_id end) as content_uv,
        count(distinct case when first_click_on is not null then person_id end)
            as content_product_uv,
        -- filled in from the year's months below
        cast(null as bigint) as days_with_events
    from account_years
    group by 1, 2

),

counted_without_year_days as (

    select * from fresh_counts

    {% if is_incremental() %}
        union all
        select
            built.period_type,
            built.period_start,
            built.content_uv + coalesce(adjustments.content_uv_change, 0) as content_uv,
            built.content_product_uv + coalesce(adjustments.content_product_uv_change, 0)
                as content_product_uv,
            built.days_with_events
        from {{ this }} as built
        left join adjustments
            on
                built.period_type = adjustments.period_type
                and built.period_start = adjustments.period_start
        where not exists (
                select 1 from recounted
                where
                    recounted.period_type = built.period_type
                    and recounted.period_start = built.period_start
            )
    {% endif %}

),

days_by_year as (

    -- months partition a year, so a year's days with events are its months'
    select
        calendar.year_start,
        cast(sum(months.days_with_events) as bigint) as days_with_events
    from counted_without_year_days as months
    inner join calendar
        on months.period_start = calendar.date_day
    where months.period_type = 'month'
    group by 1

),

counted as (

    select
        counts.period_type,
        counts.period_start,
        counts.content_uv,
        counts.content_product_uv,
        coalesce(counts.days_with_events, days_by_year.days_with_events) as days_with_events
    from counted_without_year_days as counts
    left join days_by_year
        on
            counts.period_type = 'year'
            and counts.period_start = days_by_year.year_start

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
