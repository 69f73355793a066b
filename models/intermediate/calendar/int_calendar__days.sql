{#
    A plain calendar: every day between the `calendar_start` and `calendar_end` vars, with the
    periods the KPI catalogue groups by. Weeks start on Monday (ISO), months on the 1st.
#}

with

days as (

    {{ dbt.date_spine(
        'day',
        "cast('" ~ var('calendar_start') ~ "' as date)",
        dbt.dateadd('day', 1, "cast('" ~ var('calendar_end') ~ "' as date)")
    ) }}

),

calendar as (

    select
        cast(date_day as date) as date_day,
        cast({{ dbt.date_trunc('week', 'date_day') }} as date) as week_start,
        cast({{ dbt.date_trunc('month', 'date_day') }} as date) as month_start,
        cast({{ dbt.date_trunc('year', 'date_day') }} as date) as year_start,
        cast(extract(year from date_day) as integer) as calendar_year,
        cast(extract(month from date_day) as integer) as calendar_month,
        {{ iso_year('date_day') }} as iso_year,
        {{ iso_week('date_day') }} as iso_week,
        cast(
            {{ dbt.datediff(dbt.date_trunc('week', 'date_day'), 'date_day', 'day') }} as integer
        ) + 1 as iso_day_of_week
    from days

)

select * from calendar
